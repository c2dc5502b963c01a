// Generates docs/configuration.md from the plugin's Kong schema (plugin/config/schema.ts, the config
// record's entity checks) and the rules only the plugin checks (startup-checks.ts), so the reference
// cannot drift from the code: spec/01-unit/plugin/config-reference.spec.ts fails when
// the committed file differs from what this produces.
//   node dist/test/scripts/config-reference.js          (write)
//   node dist/test/scripts/config-reference.js --check  (exit 1 when out of date)
import fs from 'node:fs';
import path from 'node:path';
import { configEntityChecks, configFields, RESERVED_HEADERS } from '../plugin/config/schema';
import { STARTUP_CHECKS } from '../plugin/config/startup-checks';

type Spec = Record<string, unknown>;
type Fields = Array<Record<string, Spec>>;
type MatchRule = { pattern: string; err?: string };

const code = (text: unknown) => `\`${String(text).replace(/\|/g, '\\|')}\``;

function typeOf(spec: Spec): string {
  const elements = spec.elements as Spec | undefined;
  if (spec.type === 'array' || spec.type === 'set') return `${spec.type} of ${elements?.type === 'record' ? 'records' : `${String(elements?.type)}s`}`;
  return String(spec.type);
}

function constraints(spec: Spec): string {
  const parts: string[] = [];
  const elements = (spec.elements as Spec | undefined) ?? {};
  const oneOf = (spec.one_of ?? elements.one_of) as string[] | undefined;
  if (oneOf) parts.push(`one of ${oneOf.map((v) => `\`${v}\``).join(', ')}`);
  if (Array.isArray(spec.between)) parts.push(`${spec.between[0]}–${spec.between[1]}`);
  if (typeof spec.len_min === 'number') parts.push(`at least ${spec.len_min}`);
  const match = (spec.match ?? elements.match) as string | undefined;
  if (match) parts.push(`Lua pattern ${code(match)}`);
  for (const rule of (spec.match_all ?? []) as MatchRule[]) parts.push(`Lua pattern ${code(rule.pattern)}`);
  const none = (spec.match_none ?? []) as MatchRule[];
  if (none.some((rule) => rule.err?.includes('is reserved'))) {
    parts.push(`not a reserved name (any case): ${RESERVED_HEADERS.map((h) => `\`${h}\``).join(', ')}`);
  } else if (none.length > 0) {
    parts.push(`refused with: ${[...new Set(none.map((rule) => rule.err ?? `invalid value (${rule.pattern})`))].join('; ').replace(/\|/g, '\\|')}`);
  }
  return parts.join('; ');
}

function defaultOf(spec: Spec): string {
  if (spec.type === 'record') return '(record)';
  if (spec.default === undefined) return spec.required === true ? '**required**' : '—';
  return `\`${JSON.stringify(spec.default)}\``;
}

function rows(fields: Fields, prefix: string): string[] {
  return fields.flatMap((entry) => {
    const [name, spec] = Object.entries(entry)[0];
    const full = `${prefix}${name}`;
    const row = `| \`${full}\` | ${typeOf(spec)} | ${defaultOf(spec)} | ${constraints(spec)} | ${String(spec.description ?? '').replace(/\|/g, '\\|')} |`;
    const elements = spec.elements as Spec | undefined;
    if (spec.type === 'record') return [row, ...rows(spec.fields as Fields, `${full}.`)];
    if (elements?.type === 'record') return [row, ...rows(elements.fields as Fields, `${full}[].`)];
    return [row];
  });
}

/** What a conditional's `then_match` demands of `field`, in words. */
function demand(field: string, match: Spec): string {
  if (match.required === true) return `${code(field)} must be set`;
  if (typeof match.len_min === 'number') return `${code(field)} must hold at least ${match.len_min} entry`;
  const any = match.match_any as { patterns: string[] } | undefined;
  if (any) return `${code(field)} must match one of ${any.patterns.map(code).join(', ')}`;
  const element = match.elements as { fields: Fields } | undefined;
  if (element) {
    return element.fields
      .filter((entry) => (Object.values(entry)[0] as Spec).match_any !== undefined)
      .map((entry) => demand(`${field}[].${Object.keys(entry)[0]}`, { match_any: (Object.values(entry)[0] as Spec).match_any }))
      .join('; ');
  }
  throw new Error(`config-reference: describe then_match ${JSON.stringify(match)}`);
}

/** The message Kong gives for a broken conditional: then_err, else the field's. */
function messageOf(check: Spec): string {
  const then = check.then_match as Spec;
  const element = then.elements as { fields: Fields } | undefined;
  const any = (then.match_any ?? (element ? (Object.values(element.fields[0])[0] as Spec).match_any : undefined)) as { err?: string } | undefined;
  return String(check.then_err ?? any?.err ?? 'required field missing');
}

function entityCheckRows(): string[] {
  return configEntityChecks.map((entry) => {
    const check = entry.conditional as Spec | undefined;
    if (check === undefined) throw new Error(`config-reference: describe entity check ${Object.keys(entry)[0]}`);
    const when = `${code(check.if_field)} is ${code(JSON.stringify((check.if_match as Spec).eq))}`;
    return `| ${when} | ${demand(String(check.then_field), check.then_match as Spec)} | ${messageOf(check).replace(/\|/g, '\\|')} |`;
  });
}

export function configurationReference(): string {
  return [
    '# okta-jwt configuration reference',
    '',
    '<!-- Generated by scripts/config-reference.ts from plugin/config/. Do not edit by hand: run `npm run docs:config`. -->',
    '',
    'Fields of the plugin\'s `config`, as Kong validates them (patterns are Lua patterns). Kong refuses a config that',
    'breaks a constraint below (Admin API and `POST /config` answer 400 naming the field); the plugin checks them all again',
    'when an instance starts.',
    '',
    '| field | type | default | constraints | description |',
    '|---|---|---|---|---|',
    ...rows(configFields as Fields, ''),
    '',
    '## Rules across fields',
    '',
    'Kong refuses a config that breaks one of these too (the config record\'s `entity_checks`): the 400 names the field with',
    'the message below, and `@entity` says which field the rule depends on. They reach Kong through',
    '`okta-jwt-pluginserver`; kong-pdk\'s stock `kong-js-pluginserver` drops them, and then the plugin refuses such a config',
    'when it first runs, as for the rules in the next section.',
    '',
    '| if | then | Kong\'s message |',
    '|---|---|---|',
    ...entityCheckRows(),
    '',
    '## Checked when the plugin first runs',
    '',
    'Kong\'s schema language cannot say these, so Kong accepts a config that breaks one. The plugin instance then refuses to',
    'start: Kong\'s error log names the field and what to do, and every request the plugin should judge gets 500 (nothing',
    'is let through). `okta-jwt doctor --config kong.yml` reports each of them by field before you deploy.',
    '',
    ...STARTUP_CHECKS.map((check) => `- ${check.rule}.`),
    '',
  ].join('\n');
}

export const REFERENCE_PATH = path.resolve(__dirname, '..', '..', '..', 'docs', 'configuration.md');

if (require.main === module) {
  const text = configurationReference();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(REFERENCE_PATH) ? fs.readFileSync(REFERENCE_PATH, 'utf8') : '';
    if (current !== text) {
      console.error('docs/configuration.md is out of date: run npm run docs:config');
      process.exit(1);
    }
  } else {
    fs.writeFileSync(REFERENCE_PATH, text);
    console.log(`wrote ${REFERENCE_PATH}`);
  }
}
