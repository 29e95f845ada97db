package dev.isthmus.controlplane.model;

import java.util.Map;

/**
 * {@code Annotated} is a spec with the annotations of its object that change how it applies (for an
 * AuthorizationPolicy, {@code istio.io/dry-run}).
 *
 * @param annotations the annotations that matter, by key
 * @param spec the typed spec
 * @param <S> spec type
 */
public record Annotated<S>(Map<String, String> annotations, S spec) {
  public Annotated {
    annotations = Map.copyOf(annotations);
  }
}
