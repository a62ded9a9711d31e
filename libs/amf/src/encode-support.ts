/**
 * Helpers shared by the AMF0 and AMF3 encoders.
 */
import { AmfError } from './errors';
import type { AmfObject } from './types';

/** Tracks the containers on the current encode path: the encoders write no references, so a cycle is unencodable. */
export class CycleGuard {
  private readonly path = new Set<object>();

  enter(obj: object, format: string): void {
    if (this.path.has(obj)) {
      throw new AmfError('AMF_UNENCODABLE', `${format}: cannot encode a cyclic structure (the encoder writes no references)`);
    }
    this.path.add(obj);
  }

  leave(obj: object): void {
    this.path.delete(obj);
  }
}

/**
 * Objects encoded as anonymous AMF objects: object literals (of any realm) and Object.create(null).
 * Class instances (whose prototype has a prototype of its own) are not.
 */
export function isPlainObject(v: object): v is AmfObject {
  const proto: object | null = Object.getPrototypeOf(v) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Own enumerable string keys, skipping those whose value is a function or a symbol (like JSON.stringify). */
export function encodableKeys(obj: AmfObject): string[] {
  const keys = Object.keys(obj);
  let out: string[] | undefined;
  for (let i = 0; i < keys.length; i++) {
    const t = typeof obj[keys[i]];
    if (t === 'function' || t === 'symbol') {
      out ??= keys.slice(0, i);
    } else if (out !== undefined) {
      out.push(keys[i]);
    }
  }
  return out ?? keys;
}

/** Short description of an unencodable value for error messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  const ctor: unknown = (v as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name !== '' ? `object of class ${ctor.name}` : 'object';
}
