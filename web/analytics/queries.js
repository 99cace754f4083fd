// The GraphQL documents this page sends; tests/web/test_analytics_page.py runs each against the API.

export const LOGIN = `mutation Login($u: String!, $p: String!) {
  login(username: $u, password: $p) {
    __typename
    ... on Session { token user { username } }
    ... on UserError { code message }
  }
}`;

export const SETUP = `query AnalyticsSetup {
  me { username roles { role office { id name } } }
  offices { id name }
  services { id name }
}`;

// Each chart asks only for what it draws: every percentile asked costs the server a sort of the period's
// values, so the demand line and the procedures' bars ask for none per group, the heatmap for waits only.
export const STATS = `query AnalyticsStats($f: StatsFilterInput!, $g: [Grouping!]) {
  stats(filter: $f, groupBy: $g) {
    __typename
    ... on Stats {
      rows { period booked walkIns }
      totals {
        booked came noShows noShowRate walkIns served demand unmetSearches waitMedianMinutes waitP90Minutes
        serviceMedianMinutes leadTimeMedianDays ratingCount ratingAverage ratings estimateCount
        estimateBiasMinutes
      }
    }
    ... on ValidationError { code message field }
    ... on NotAllowed { code message }
  }
}`;

export const STATS_HEAT = `query AnalyticsHeat($f: StatsFilterInput!) {
  stats(filter: $f, groupBy: [WEEKDAY, HOUR]) {
    __typename
    ... on Stats { rows { weekday hour waitMedianMinutes } }
    ... on UserError { code message }
  }
}`;

export const STATS_SERVICES = `query AnalyticsServices($f: StatsFilterInput!) {
  stats(filter: $f, groupBy: [SERVICE]) {
    __typename
    ... on Stats { rows { service { id name } booked noShowRate } }
    ... on UserError { code message }
  }
}`;
