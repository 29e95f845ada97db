/**
 * Serving helpers: TLS key and trust managers read per handshake, plain HTTP endpoints, and the
 * metrics registry scraped under Istio's names.
 */
package dev.isthmus.controlplane.server;
