/**
 * How error messages show a value that was rejected: the one describer of the codebase.
 * - `brief`: a short quote for wire fields (strings cut at 60 characters, arrays by length).
 * - `json`: the whole value as JSON, for options (what the user wrote, so they can find it).
 * - `noun`: what kind of value it is, for a request's topics (never echoes a client's object).
 */
export function describeValue(value: unknown, style: 'brief' | 'json' | 'noun'): string {
  if (value === undefined || value === null) return String(value);
  const type = typeof value;
  if (style === 'noun') {
    if (Array.isArray(value)) return 'an array';
    if (type === 'number' || type === 'boolean' || type === 'bigint') return `${type} ${String(value)}`;
    return type === 'object' ? 'an object' : `a ${type}`;
  }
  if (typeof value === 'string') return JSON.stringify(style === 'brief' && value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (type === 'number' || type === 'boolean' || (style === 'json' && type === 'bigint')) return String(value);
  if (style === 'brief') return Array.isArray(value) ? `array of ${value.length}` : type;
  try {
    return JSON.stringify(value) ?? type;
  } catch {
    return type; // circular or otherwise unserializable
  }
}
