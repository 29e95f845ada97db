package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * {@code InjectionResult} is the outcome for one pod.
 *
 * @param injected whether a sidecar was added
 * @param reason why (or why not)
 * @param patch the RFC 6902 JSON Patch turning the submitted pod into {@code pod}; empty when not
 *     injected
 * @param pod the pod after injection (the submitted pod when not injected)
 */
public record InjectionResult(boolean injected, String reason, ArrayNode patch, Pod pod) {}
