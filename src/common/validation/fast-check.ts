import { TransformationType } from 'class-transformer';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage.js';
import { createRequire } from 'node:module';
import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';

// class-transformer keeps its @Type/@Transform metadata in this (CommonJS, untyped-path) module;
// 'class-transformer' resolves to the same CommonJS build, so this is the storage its decorators fill.
const { defaultMetadataStorage } = createRequire(import.meta.url)('class-transformer/cjs/storage.js') as { defaultMetadataStorage: MetadataStorage };

/** The class a nested property's elements become (its @Type), if declared. */
export function nestedTypeOf(type: Function, property: string): Function | undefined {
  const t = defaultMetadataStorage.findTypeMetadata(type, property)?.typeFunction();
  return typeof t === 'function' ? t : undefined;
}

type Check = (object: Record<string, unknown>) => boolean;

interface Compiled {
  known: Set<string>;
  checks: Check[];
}

/** null: the class uses something this checker does not model (a transform, an async rule…): no fast path. */
const compiled = new Map<Function, Compiled | null>();

/**
 * A fast yes/no check of a plain JSON value against a DTO class, built from the same
 * class-validator rules (the same `validate` functions, whitelist and IsOptional semantics) but
 * without class-transformer instances, ValidationError trees and messages. class-validator spends
 * about 0.1–0.2 ms per record; a valid 5,000-record batch took over a second of event loop. The
 * pipe takes a body that passes as is, and runs class-validator (for the messages) only on the
 * elements that fail. Returns null when the class cannot be checked this way.
 */
export function fastChecker(type: Function): ((value: unknown) => boolean) | null {
  const c = compile(type, new Set());
  return c ? (value) => checkObject(value, c) : null;
}

function checkObject(value: unknown, c: Compiled): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const object = value as Record<string, unknown>;
  for (const key in object) if (!c.known.has(key)) return false;
  for (const check of c.checks) if (!check(object)) return false;
  return true;
}

function compile(type: Function, visiting: Set<Function>): Compiled | null {
  if (compiled.has(type)) return compiled.get(type)!;
  if (visiting.has(type)) return null;
  visiting.add(type);
  const storage = getMetadataStorage();
  const metas = storage.getTargetValidationMetadatas(type, '', true, false);
  const byProperty = new Map<string, typeof metas>();
  for (const m of metas) byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
  const result: Compiled | null = { known: new Set(byProperty.keys()), checks: [] };
  for (const [property, list] of byProperty) {
    if (defaultMetadataStorage.findTransformMetadatas(type, property, TransformationType.PLAIN_TO_CLASS).length > 0) return fail(type);
    const conditions = list.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION).map((m) => m.constraints[0] as (o: unknown, v: unknown) => boolean);
    const rules: ((object: Record<string, unknown>, value: unknown) => boolean)[] = [];
    for (const m of list) {
      if (m.type === ValidationTypes.CONDITIONAL_VALIDATION || m.type === ValidationTypes.WHITELIST) continue;
      if (m.validateIf || m.groups?.length) return fail(type);
      if (m.type === ValidationTypes.CUSTOM_VALIDATION) {
        for (const constraint of storage.getTargetValidatorConstraints(m.constraintCls)) {
          if (constraint.async) return fail(type);
          const validate = constraint.instance.validate.bind(constraint.instance) as (v: unknown, a: ValidationArguments) => boolean;
          rules.push((object, value) => {
            const args = { targetName: type.name, property, object, value, constraints: m.constraints };
            if (m.each && Array.isArray(value)) return value.every((v) => validate(v, args) === true);
            return validate(value, args) === true;
          });
        }
      } else if (m.type === ValidationTypes.NESTED_VALIDATION) {
        const nestedType = defaultMetadataStorage.findTypeMetadata(type, property)?.typeFunction();
        const nested = typeof nestedType === 'function' ? compile(nestedType, visiting) : null;
        if (!nested) return fail(type);
        rules.push((_object, value) => {
          if (value === undefined) return true;
          if (Array.isArray(value)) return value.every((v) => checkObject(v, nested));
          return checkObject(value, nested);
        });
      } else {
        return fail(type);
      }
    }
    result.checks.push((object) => {
      const value = object[property];
      for (const condition of conditions) if (!condition(object, value)) return true;
      for (const rule of rules) if (!rule(object, value)) return false;
      return true;
    });
  }
  compiled.set(type, result);
  return result;
}

function fail(type: Function): null {
  compiled.set(type, null);
  return null;
}

export interface FailingElements {
  /** A copy of the body whose nested arrays hold only (the first `keep` of) their failing elements. */
  reduced: Record<string, unknown>;
  /** property → original index of each element kept in `reduced` */
  indices: Map<string, number[]>;
  /** property → how many of its elements fail in all */
  failing: Map<string, number>;
}

/**
 * For a body that failed fastChecker: its top-level arrays of nested DTOs cut down to their
 * failing elements, so class-validator (which words the errors) runs on a few records instead
 * of thousands. An array with no failing element keeps its first one, so array-level rules
 * (at least one record) see what they saw before.
 */
export function failingElements(body: Record<string, unknown>, type: Function, keep: number): FailingElements {
  const reduced: Record<string, unknown> = { ...body };
  const indices = new Map<string, number[]>();
  const failing = new Map<string, number>();
  for (const m of getMetadataStorage().getTargetValidationMetadatas(type, '', true, false)) {
    const items = body[m.propertyName];
    if (m.type !== ValidationTypes.NESTED_VALIDATION || !Array.isArray(items) || indices.has(m.propertyName)) continue;
    const nestedType = defaultMetadataStorage.findTypeMetadata(type, m.propertyName)?.typeFunction();
    const check = typeof nestedType === 'function' ? fastChecker(nestedType) : null;
    if (!check) continue;
    const bad: number[] = [];
    let count = 0;
    items.forEach((item, i) => {
      if (check(item)) return;
      count++;
      if (bad.length < keep) bad.push(i);
    });
    const kept = bad.length > 0 ? bad : items.length > 0 ? [0] : [];
    reduced[m.propertyName] = kept.map((i) => items[i]);
    indices.set(m.propertyName, kept);
    failing.set(m.propertyName, count);
  }
  return { reduced, indices, failing };
}
