/**
 * Errors raised by the AMF codec. Decoders throw nothing but {@link AmfError}; so do encoders.
 */

/** Why decoding or encoding failed. */
export type AmfErrorCode =
  /** The input ended in the middle of a value. */
  | 'AMF_TRUNCATED'
  /** A type marker that neither spec defines. */
  | 'AMF_UNKNOWN_MARKER'
  /** A marker the spec defines but reserves / leaves unsupported (AMF0 movieclip, recordset; unknown AMF3 externalizable classes). */
  | 'AMF_UNSUPPORTED_MARKER'
  /** Containers nested deeper than `maxDepth` (or deeper than the JavaScript stack allows). */
  | 'AMF_DEPTH_EXCEEDED'
  /** A container with more than `maxElements` entries, or a decode call with more than `maxTotalElements`. */
  | 'AMF_TOO_MANY_ELEMENTS'
  /** A string, XML text or byte array longer than `maxStringLength` / `maxByteArrayLength`. */
  | 'AMF_STRING_TOO_LONG'
  /** A reference (AMF0 0x07, AMF3 string/object/trait reference) to an index not defined yet. */
  | 'AMF_BAD_REFERENCE'
  /** Structurally invalid input (object-end marker where a value is expected, ...) or invalid arguments. */
  | 'AMF_INVALID'
  /** The encoder was given a value it cannot represent in the requested format. */
  | 'AMF_UNENCODABLE';

export interface AmfErrorOptions {
  cause?: unknown;
  /** Byte offset (relative to the buffer passed to the decoder) at which the problem was found. */
  offset?: number;
}

export class AmfError extends Error {
  override readonly name = 'AmfError';
  readonly code: AmfErrorCode;
  /** Byte offset of the problem, for decode errors; undefined for encode errors. */
  readonly offset: number | undefined;

  constructor(code: AmfErrorCode, message: string, options?: AmfErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.offset = options?.offset;
  }
}

/** True if `err` is an {@link AmfError} (optionally with the given code). */
export function isAmfError(err: unknown, code?: AmfErrorCode): err is AmfError {
  return err instanceof AmfError && (code === undefined || err.code === code);
}

/** Builds a decode error whose message ends with the byte offset. */
export function decodeError(code: AmfErrorCode, what: string, offset: number): AmfError {
  return new AmfError(code, `${what} at byte offset ${offset}`, { offset });
}

/**
 * Turns anything thrown inside a decoder/encoder into an AmfError, so callers only ever see AmfError.
 * A JavaScript stack overflow (possible only when a caller raises maxDepth very high) becomes AMF_DEPTH_EXCEEDED.
 */
export function toAmfError(err: unknown, context: string): AmfError {
  if (err instanceof AmfError) return err;
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new AmfError('AMF_DEPTH_EXCEEDED', `${context}: nesting exceeds the JavaScript call stack`, { cause: err });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new AmfError('AMF_INVALID', `${context}: internal error: ${detail}`, { cause: err });
}

/** Quotes (and shortens) text from the wire or from the caller for error messages. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s);
}
