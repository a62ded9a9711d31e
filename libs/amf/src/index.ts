/**
 * @ingest/amf - AMF0 and AMF3 codec: bytes in, values out, and back. No I/O.
 *
 * Decoding (untrusted input):
 *  - decodeAmf0 / decodeAmf3 decode one value at an offset and return the offset after it;
 *    decodeAmf0Sequence decodes every value to the end (RTMP command / data message bodies; for message
 *    types 17 and 15 skip the leading 0x00 format byte first).
 *  - Every length and count from the wire is checked against AmfLimits and against the bytes that remain
 *    before anything is allocated; nesting is limited across AMF0 and AMF3 together.
 *  - Decoders throw nothing but AmfError (code + byte offset in the message and in `offset`).
 *  - Reference tables live for one decode call: in decodeAmf0Sequence AMF0 references may point into
 *    earlier values, and all 0x11-switched AMF3 values of the call share one set of AMF3 tables.
 *  - Objects and ECMA arrays decode to plain objects ("__proto__" stays an own property); AMF3 ByteArrays
 *    are copied (never views of the input); AMF3 XML and XMLDocument both decode to AmfXmlDocument;
 *    flex.messaging.io.ArrayCollection / ObjectProxy decode to the value they wrap.
 *
 * Encoding:
 *  - encodeAmf0 writes no references; Uint8Array, Map and AmfVector are AMF_UNENCODABLE in AMF0 unless
 *    wrapped in AmfAvmPlus (0x11 + AMF3, written without AMF3 references).
 *  - encodeAmf3 writes string and trait references but no object references.
 *  - Cyclic values, functions, symbols, bigints and class instances other than the Amf* classes, Date,
 *    Uint8Array and Map are AMF_UNENCODABLE; function- and symbol-valued object properties are skipped.
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
