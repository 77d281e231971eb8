/**
 * Reading an action's input, whichever protocol carried it: JSON 1.0 gives numbers and booleans,
 * the Query protocol gives strings; both are accepted, and a wrong value is SQS's
 * InvalidParameterValue naming the parameter.
 */
import { invalidParameterValue, missingParameter } from './errors';

export type Input = Record<string, unknown>;

export function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw invalidParameterValue(`Value for parameter ${name} is invalid: it must be a string.`);
  return value;
}

export function requiredString(input: Input, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

/** An integer in [min, max], from a number or a decimal string. */
export function parseInteger(value: unknown, name: string, min: number, max: number): number {
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw invalidParameterValue(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: it must be an integer from ${min} to ${max}.`,
    );
  }
  return number;
}

export function optionalInteger(input: Input, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  return value === undefined || value === null ? undefined : parseInteger(value, name, min, max);
}

export function stringList(input: Input, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalidParameterValue(`Value for parameter ${name} is invalid: it must be a list of strings.`);
  }
  return value;
}

export function stringMap(input: Input, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidParameterValue(`Value for parameter ${name} is invalid: it must be a map.`);
  }
  const map: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw invalidParameterValue(`Value for ${name}.${key} is invalid: it must be a string.`);
    map[key] = item;
  }
  return map;
}

export function entryList(input: Input, name: string): Input[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'object' && item !== null)) {
    throw invalidParameterValue(`Value for parameter ${name} is invalid: it must be a list of entries.`);
  }
  return value as Input[];
}
