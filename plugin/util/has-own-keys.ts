// Whether a record has an own enumerable key, without allocating a key list (Object.keys): the
// common path asks this of the headers to set on every request.
export function hasOwnKeys(record: Readonly<Record<string, unknown>>): boolean {
  for (const name in record) if (Object.hasOwn(record, name)) return true;
  return false;
}
