import { AmfError } from './errors';

/** Caps applied while decoding untrusted input. */
export interface AmfLimits {
  /** Maximum nesting of containers (objects, arrays, vectors, dictionaries), counted across AMF0 and AMF3. */
  maxDepth: number;
  /** Maximum entries in one array / object / vector / dictionary. */
  maxElements: number;
  /** Maximum entries over all containers of one decode call. */
  maxTotalElements: number;
  /** Maximum UTF-8 byte length of one string, key, class name or XML text. */
  maxStringLength: number;
  /** Maximum length of one AMF3 ByteArray. */
  maxByteArrayLength: number;
}

/** Defaults sized for RTMP command and data messages. */
export const DEFAULT_AMF_LIMITS: Readonly<AmfLimits> = Object.freeze({
  maxDepth: 32,
  maxElements: 4096,
  maxTotalElements: 65536,
  maxStringLength: 1024 * 1024,
  maxByteArrayLength: 1024 * 1024,
});

const LIMIT_KEYS = Object.keys(DEFAULT_AMF_LIMITS) as (keyof AmfLimits)[];

/**
 * Fills unspecified limits from DEFAULT_AMF_LIMITS. Each limit must be a non-negative number
 * (Infinity allowed); anything else is AMF_INVALID.
 */
export function resolveAmfLimits(limits?: Partial<AmfLimits>): AmfLimits {
  if (limits === undefined) return DEFAULT_AMF_LIMITS;
  const out: AmfLimits = { ...DEFAULT_AMF_LIMITS };
  for (const key of LIMIT_KEYS) {
    const v: unknown = limits[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      throw new AmfError('AMF_INVALID', `invalid AMF limit ${key}: ${String(v)}`);
    }
    out[key] = v;
  }
  return out;
}
