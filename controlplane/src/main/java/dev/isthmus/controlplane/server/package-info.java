/** Serving helpers: TLS key and trust managers read per handshake, plain HTTP endpoints. */
package dev.isthmus.controlplane.server;
