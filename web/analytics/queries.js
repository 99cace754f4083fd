// The GraphQL documents this page sends; tests/test_analytics_page.py runs each against the API.

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

export const STATS = `query AnalyticsStats($f: StatsFilterInput!, $g: [Grouping!]) {
  stats(filter: $f, groupBy: $g) {
    __typename
    ... on Stats {
      rows {
        period weekday hour service { id name }
        booked came noShows noShowRate walkIns served demand waitMedianMinutes waitP90Minutes
      }
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
