/** Types for the HttpRoute YAML (the subset of fields the code reads; the shape check covers all). */
export interface HeaderModifier {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface Destination {
  serviceName: string;
  weight?: number;
  requestHeaderModifier?: HeaderModifier;
  responseHeaderModifier?: HeaderModifier;
}

export interface HeaderMatch {
  header: string;
  exactMatch?: string;
  regexMatch?: string;
  prefixMatch?: string;
  presentMatch?: boolean;
  suffixMatch?: string;
  rangeMatch?: { start: number; end: number };
  invertMatch?: boolean;
}

export interface QueryParameterMatch {
  queryParameter: string;
  exactMatch?: string;
  regexMatch?: string;
  presentMatch?: boolean;
}

export interface RouteMatch {
  fullPathMatch?: string;
  prefixMatch?: string;
  regexMatch?: string;
  ignoreCase?: boolean;
  headers?: HeaderMatch[];
  queryParameters?: QueryParameterMatch[];
}

export interface RetryPolicy {
  retryConditions?: string[];
  numRetries?: number;
  perTryTimeout?: string;
}

export interface FaultInjectionPolicy {
  delay?: { fixedDelay?: string; percentage?: number };
  abort?: { httpStatus?: number; percentage?: number };
}

export interface RouteAction {
  destinations?: Destination[];
  requestHeaderModifier?: HeaderModifier;
  responseHeaderModifier?: HeaderModifier;
  timeout?: string;
  retryPolicy?: RetryPolicy;
  faultInjectionPolicy?: FaultInjectionPolicy;
  [other: string]: unknown;
}

export interface RouteRule {
  matches?: RouteMatch[];
  action?: RouteAction;
}

export interface HttpRoute {
  name: string;
  description?: string;
  hostnames: string[];
  meshes?: string[];
  gateways?: string[];
  rules: RouteRule[];
}
