import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../functions/api/openapi-document.js';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };

/**
 * The OpenAPI document as a checker: every answer the API gives must be one the document
 * promises (a documented status, a body that matches its schema), so the two cannot drift.
 */
export class Contract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  readonly doc = openApiDocument() as unknown as Doc;
  private readonly templates: { path: string; regex: RegExp }[];

  constructor() {
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema(this.doc as object, 'strata');
    this.templates = Object.keys(this.doc.paths).map((path) => ({ path, regex: new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}/?$`) }));
  }

  /** The documented operation for a request, if any. */
  operation(method: string, url: string): { path: string; method: string } | undefined {
    const pathname = new URL(url, 'http://x').pathname;
    const t = this.templates.find((c) => c.regex.test(pathname));
    return t && this.doc.paths[t.path]![method.toLowerCase()] ? { path: t.path, method: method.toLowerCase() } : undefined;
  }

  /** What is wrong with this answer, by the document: nothing when it keeps its promises. */
  violations(method: string, url: string, status: number, contentType: string | null, body: unknown): string[] {
    const what = `${method} ${url} → ${status}`;
    const op = this.operation(method, url);
    if (!op) {
      // Not an operation (an unknown path or method): the gateway's answer, still in the error shape.
      return status >= 400 && status < 500 ? this.check('strata#/components/schemas/Error', body, what) : [`${what}: no documented operation`];
    }
    const responses = this.doc.paths[op.path]![op.method]!.responses;
    const answer = responses[String(status)];
    if (!answer) return [`${what}: status ${status} is not documented (documented: ${Object.keys(responses).join(', ')})`];
    if (!answer.content) return body === undefined || body === '' ? [] : [`${what}: a body where the document says none`];
    const type = Object.keys(answer.content)[0]!;
    if (!contentType?.startsWith(type)) return [`${what}: content-type ${contentType}, documented ${type}`];
    if (type !== 'application/json') return [];
    const pointer = ['paths', op.path, op.method, 'responses', String(status), 'content', type, 'schema'].map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
    return this.check(`strata#/${encodeURI(pointer)}`, body, what);
  }

  private check(ref: string, body: unknown, what: string): string[] {
    const validate = this.ajv.getSchema(ref);
    if (!validate) return [`${what}: no schema at ${ref}`];
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${what}: ${e.instancePath || '(body)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
  }
}
