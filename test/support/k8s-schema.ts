// Validates Kubernetes objects against the API's OpenAPI schemas with kubernetes-models. Kinds that
// library does not know (cert-manager's CRDs) get a structural check of the fields we rely on.
import assert from 'node:assert/strict';

type Validatable = { validate(): void };
type ModelClass = new (data: unknown) => Validatable;

const modules = new Map<string, Record<string, unknown>>();

async function modelsFor(apiVersion: string): Promise<Record<string, unknown> | undefined> {
  if (!modules.has(apiVersion)) {
    try {
      modules.set(apiVersion, (await import(`kubernetes-models/${apiVersion}`)) as Record<string, unknown>);
    } catch {
      return undefined;
    }
  }
  return modules.get(apiVersion);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * cert-manager.io/v1 is a CRD, absent from kubernetes-models (its own model package needs a newer
 * kubernetes-models major): check the fields cert-manager itself requires.
 */
function checkCertManager(object: Record<string, unknown>, where: string): void {
  const spec = object['spec'];
  assert.ok(isRecord(spec), `${where}: spec is required`);
  if (object['kind'] === 'Certificate') {
    assert.equal(typeof spec['secretName'], 'string', `${where}: spec.secretName`);
    assert.ok(isRecord(spec['issuerRef']) && typeof spec['issuerRef']['name'] === 'string', `${where}: spec.issuerRef.name`);
    assert.ok(spec['isCA'] === true || typeof spec['commonName'] === 'string' || Array.isArray(spec['dnsNames']), `${where}: a subject`);
  } else if (object['kind'] === 'Issuer' || object['kind'] === 'ClusterIssuer') {
    const types = ['selfSigned', 'ca', 'acme', 'vault', 'venafi'].filter((key) => key in spec);
    assert.equal(types.length, 1, `${where}: exactly one issuer type`);
  } else {
    assert.fail(`${where}: unexpected cert-manager kind`);
  }
}

/** Throws (an assertion error naming the object) if `object` is not a valid Kubernetes object. */
export async function validateObject(object: unknown, source: string): Promise<'schema' | 'structural'> {
  assert.ok(isRecord(object), `${source}: not an object`);
  const { apiVersion, kind } = object;
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const where = `${source}: ${String(kind)} ${String(metadata['name'] ?? '')}`;
  assert.equal(typeof apiVersion, 'string', `${where}: apiVersion`);
  assert.equal(typeof kind, 'string', `${where}: kind`);
  if (apiVersion === 'cert-manager.io/v1') {
    checkCertManager(object, where);
    return 'structural';
  }
  const models = await modelsFor(apiVersion as string);
  const Model = models?.[kind as string] as ModelClass | undefined;
  assert.ok(Model, `${where}: ${String(apiVersion)} ${String(kind)} is not a Kubernetes API kind`);
  try {
    new Model(object).validate();
  } catch (err) {
    assert.fail(`${where}: ${(err as Error).message}`);
  }
  return 'schema';
}
