package dev.isthmus.controlplane.authz;

import java.util.List;

/**
 * {@code AuthzResult} carries the filters built for a workload and the problems met on the way: a
 * rule or policy that could not be translated is left out (or denied, for CUSTOM) and named here.
 *
 * @param filters the filters in the order the proxy must run them
 * @param problems one message per rule, policy or provider that was skipped or replaced
 * @param <T> the filter type, HTTP or network
 */
public record AuthzResult<T>(List<T> filters, List<String> problems) {
  public AuthzResult {
    filters = List.copyOf(filters);
    problems = List.copyOf(problems);
  }
}
