package dev.isthmus.translate.render;

/**
 * {@code Owner} names the IstioOperator that owns the rendered objects.
 *
 * @param name metadata.name, or {@code unknown} when the CLI input has none (as istioctl writes)
 * @param namespace metadata.namespace, or null when unknown
 */
public record Owner(String name, String namespace) {}
