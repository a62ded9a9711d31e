/**
 * @ingest/amf - AMF0 and AMF3 codec: bytes in, values out, and back. No I/O.
 */
export { AmfError, isAmfError, type AmfErrorCode, type AmfErrorOptions } from './errors';
export { DEFAULT_AMF_LIMITS, resolveAmfLimits, type AmfLimits } from './limits';
export {
  AMF0_MARKER,
  AMF3_MARKER,
  AmfAvmPlus,
  AmfEcmaArray,
  AmfTypedObject,
  AmfVector,
  AmfXmlDocument,
  type AmfObject,
  type AmfValue,
  type AmfVectorKind,
} from './types';
export { decodeAmf0, decodeAmf0Sequence, encodeAmf0 } from './amf0';
export { decodeAmf3, encodeAmf3 } from './amf3';
