/**
 * The JavaScript values the codec decodes to and encodes from.
 *
 * Mapping (decode):
 *   number (AMF0 number, AMF3 integer/double), boolean, string (AMF0 string/long string, AMF3 string),
 *   null, undefined (AMF0 undefined/unsupported, AMF3 undefined), Date, AmfValue[] (AMF0 strict array,
 *   AMF3 array without associative part), AmfObject (AMF0 anonymous object and ECMA array, AMF3 anonymous
 *   object, AMF3 array with associative part), AmfTypedObject (AMF0 typed object, AMF3 object with a class
 *   name), AmfXmlDocument (AMF0 XML document, AMF3 XMLDocument and XML), Uint8Array (AMF3 ByteArray),
 *   AmfVector (AMF3 Vector.<int|uint|Number|Object>), Map (AMF3 Dictionary).
 *
 * Encode-only wrappers: AmfEcmaArray (AMF0 ECMA array 0x08 / AMF3 associative array) and
 * AmfAvmPlus (AMF0 avmplus-object-marker 0x11 followed by one AMF3 value).
 */

export type AmfValue =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | AmfValue[]
  | AmfObject
  | AmfEcmaArray
  | AmfTypedObject
  | Uint8Array
  | AmfVector
  | Map<AmfValue, AmfValue>
  | AmfXmlDocument
  | AmfAvmPlus;

/** An anonymous object: AMF0 object / ECMA array, AMF3 anonymous object. */
export interface AmfObject {
  [key: string]: AmfValue;
}

/**
 * Encode wrapper: `new AmfEcmaArray({ duration: 0, width: 1280 })` encodes as an AMF0 ECMA array
 * (marker 0x08, what onMetaData uses) or as an AMF3 array with an associative part.
 * Decoders never return it: a decoded ECMA array is a plain {@link AmfObject}.
 */
export class AmfEcmaArray {
  constructor(public readonly entries: AmfObject) {}
}

/** An object with a class name (AMF0 typed object 0x10, AMF3 object with non-empty class name). */
export class AmfTypedObject {
  constructor(
    public readonly className: string,
    public readonly properties: AmfObject,
  ) {}
}

/** XML text (AMF0 XML document 0x0F, AMF3 XMLDocument 0x07; AMF3 XML 0x0B also decodes to this). */
export class AmfXmlDocument {
  constructor(public readonly xml: string) {}
}

export type AmfVectorKind = 'int' | 'uint' | 'double' | 'object';

/**
 * AMF3 Vector (markers 0x0D..0x10). `items` are numbers for int/uint/double vectors;
 * `typeName` is the element class name of an object vector (decoded as read; encoded as '*' when absent).
 */
export class AmfVector {
  constructor(
    public kind: AmfVectorKind,
    public items: AmfValue[],
    public fixed: boolean = false,
    public typeName?: string,
  ) {}
}

/**
 * Encode wrapper for AMF0: writes the avmplus-object-marker (0x11) and then `value` in AMF3, which is how
 * values that only AMF3 can carry (ByteArray, Vector, Dictionary) travel inside an AMF0 message.
 * The embedded AMF3 is written without string/trait references, so it decodes the same whether the peer
 * scopes AMF3 reference tables per message or per 0x11 value. In AMF3 output the wrapper is transparent.
 * Decoders never return it: the embedded value is returned directly.
 */
export class AmfAvmPlus {
  constructor(public readonly value: AmfValue) {}
}

/** AMF0 type markers (AMF0 spec §2.1). */
export const AMF0_MARKER = {
  number: 0x00,
  boolean: 0x01,
  string: 0x02,
  object: 0x03,
  movieclip: 0x04,
  null: 0x05,
  undefined: 0x06,
  reference: 0x07,
  ecmaArray: 0x08,
  objectEnd: 0x09,
  strictArray: 0x0a,
  date: 0x0b,
  longString: 0x0c,
  unsupported: 0x0d,
  recordset: 0x0e,
  xmlDocument: 0x0f,
  typedObject: 0x10,
  avmplusObject: 0x11,
} as const;

/** AMF3 type markers (AMF3 spec §3.1). */
export const AMF3_MARKER = {
  undefined: 0x00,
  null: 0x01,
  false: 0x02,
  true: 0x03,
  integer: 0x04,
  double: 0x05,
  string: 0x06,
  xmlDoc: 0x07,
  date: 0x08,
  array: 0x09,
  object: 0x0a,
  xml: 0x0b,
  byteArray: 0x0c,
  vectorInt: 0x0d,
  vectorUint: 0x0e,
  vectorDouble: 0x0f,
  vectorObject: 0x10,
  dictionary: 0x11,
} as const;
