/**
 * xDS for Envoy sidecars, gateways and proxyless gRPC, on java-control-plane.
 *
 * <p>{@link dev.isthmus.controlplane.xds.ResourceGenerator} turns a {@link
 * dev.isthmus.controlplane.model.MeshSnapshot} into per-proxy CDS/EDS/LDS/RDS with Istio's resource
 * names; {@link dev.isthmus.controlplane.xds.XdsCache} holds them per node id and answers
 * java-control-plane's SotW and Delta watches; {@link dev.isthmus.controlplane.xds.AdsService} is
 * the ADS endpoint (node parsing, unserved type URLs, ACK/NACK bookkeeping); {@link
 * dev.isthmus.controlplane.xds.PushController} debounces changes into full or EDS-only pushes.
 */
package dev.isthmus.controlplane.xds;
