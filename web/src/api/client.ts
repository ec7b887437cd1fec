// client.ts — a small typed client over the generated schema.d.ts (openapi-typescript output of
// GET /api/v1/openapi.json; regenerate with `npm run gen:api-types`). Paths, query parameters,
// bodies and answers are all checked by the compiler against the API's own document; a field or
// parameter the API does not declare is a type error.
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Game = Schemas["Game"];
export type Prediction = Schemas["Prediction"];
export type Job = Schemas["Job"];
export type ApiError = Schemas["Error"];

type GetPath = { [P in keyof paths]: paths[P] extends { get: object } ? P : never }[keyof paths];
type GetOp<P extends GetPath> = paths[P]["get"];
type Query<P extends GetPath> = GetOp<P> extends { parameters: { query?: infer Q } } ? Q : never;
type PathParams<P extends GetPath> = GetOp<P> extends { parameters: { path: infer A } } ? A : never;
type Ok<P extends GetPath> = GetOp<P> extends {
  responses: { 200: { content: { "application/json": infer B } } };
}
  ? B
  : never;

/** An answer that is not 2xx: the API's error envelope with the HTTP status. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(`${status} ${body.error.code}: ${body.error.message}`);
  }
}

export interface ClientOptions {
  baseUrl: string;
  /** An access token from login, sent as Authorization: Bearer. */
  token?: string;
  fetch?: typeof fetch;
}

function fill(pattern: string, params: Record<string, string | number> | undefined): string {
  return pattern.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(String(v));
  });
}

export class ApiClient {
  constructor(private readonly opts: ClientOptions) {}

  /** GET an operation that answers JSON: the typed body, or an ApiFailure. */
  async get<P extends GetPath>(
    path: P,
    args: { path?: PathParams<P>; query?: Query<P> } = {},
  ): Promise<Ok<P>> {
    const url = new URL(fill(path, args.path as Record<string, string | number> | undefined), this.opts.baseUrl);
    for (const [k, v] of Object.entries((args.query ?? {}) as Record<string, unknown>))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const res = await (this.opts.fetch ?? fetch)(url, {
      headers: this.opts.token ? { Authorization: `Bearer ${this.opts.token}` } : {},
    });
    const body: unknown = await res.json();
    if (!res.ok) throw new ApiFailure(res.status, body as ApiError);
    return body as Ok<P>;
  }

  /** The OAuth2 password flow: the form body Swagger UI and FastAPI clients post. */
  async login(email: string, password: string): Promise<Schemas["TokenPair"]> {
    const form: Schemas["LoginForm"] = { grant_type: "password", username: email, password };
    const res = await (this.opts.fetch ?? fetch)(new URL("/api/v1/auth/login", this.opts.baseUrl), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form as Record<string, string>),
    });
    const body: unknown = await res.json();
    if (!res.ok) throw new ApiFailure(res.status, body as ApiError);
    return body as Schemas["TokenPair"];
  }
}
