// GraphQL over HTTP: POST /graphql with an optional bearer token. Top-level errors become an ApiError that
// carries the API's code (NOT_ALLOWED, UNAUTHENTICATED, …); result unions are the caller's to read.
// Accept-Language is the page's language, so that the API's messages (UserError.message) come in it.

import { language } from "./i18n.js";

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export async function gql(query, variables = {}, token = null) {
  const headers = { "Content-Type": "application/json", Accept: "application/json", "Accept-Language": language() };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new ApiError("The service cannot be reached.", "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The service answered ${response.status}.`, "HTTP");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new ApiError(first.message, (first.extensions && first.extensions.code) || "ERROR");
  }
  if (!response.ok) throw new ApiError(`The service answered ${response.status}.`, "HTTP");
  return body.data;
}

// A mutation's result union: the object when it is `expected`, else an ApiError from its UserError.
export function expect(result, expected) {
  if (result.__typename === expected) return result;
  const error = new ApiError(result.message || result.__typename, result.code || result.__typename);
  error.field = result.field || null;
  error.result = result;
  throw error;
}
