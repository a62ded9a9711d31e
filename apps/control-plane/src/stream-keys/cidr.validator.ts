import { ValidateBy, type ValidationOptions } from 'class-validator';
import { parseCidr } from '@ingest/registry';

/**
 * An IPv4 or IPv6 network as the stream key store accepts it ('203.0.113.0/24', '2001:db8::/32'; a bare address is
 * one host).
 */
export function isCidr(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 64) return false;
  try {
    parseCidr(value);
    return true;
  } catch {
    return false;
  }
}

/** class-validator decorator for isCidr. */
export function IsCidr(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCidr',
      validator: {
        validate: (value: unknown) => isCidr(value),
        defaultMessage: () => `${options?.each ? 'each value in ' : ''}$property must be a CIDR block such as 203.0.113.0/24 or 2001:db8::/32`,
      },
    },
    options,
  );
}
