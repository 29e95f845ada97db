/**
 * Gateway API to Istio configuration: a pure conversion ({@link
 * dev.isthmus.controlplane.gateway.GatewayApiConverter}) from a snapshot of Gateway API objects
 * (GatewayClass, Gateway, ListenerSet, HTTPRoute, GRPCRoute, TCPRoute, TLSRoute, ReferenceGrant,
 * BackendTLSPolicy, XBackendTrafficPolicy, XBackend, InferencePool) plus the services, secrets,
 * config maps and namespaces they refer to ({@link
 * dev.isthmus.controlplane.gateway.GatewayApiSnapshot}) into the derived {@code
 * networking.istio.io/v1} Gateways, VirtualServices and DestinationRules and the status of every
 * Gateway API object ({@link dev.isthmus.controlplane.gateway.GatewayApiResult}).
 *
 * <p>Wiring calls {@link dev.isthmus.controlplane.gateway.GatewayApiConverter#convert} with a
 * snapshot ({@link dev.isthmus.controlplane.gateway.GatewayApiSnapshot#fromResources} takes
 * informer objects as they are), hands the derived config to the xDS side (as fabric8 istio-model
 * objects through {@link dev.isthmus.controlplane.gateway.GatewayApiResult#istioGateways} and
 * friends) and applies each {@link
 * dev.isthmus.controlplane.gateway.GatewayApiResult.StatusUpdate#applyObject} to the status
 * subresource; a status equal to the live one is not listed, so a steady state writes nothing.
 *
 * <p>Gateway API objects are read as Jackson trees rather than a typed model: one reader serves the
 * {@code v1}, {@code v1beta1} and {@code v1alpha2} versions of each kind (their shapes agree on the
 * fields used here), experimental kinds need no extra model artifact, and statuses come out as the
 * exact trees a server-side apply of the {@code status} subresource sends. The derived Istio config
 * is offered both as trees and as fabric8 istio-model objects.
 *
 * <p>Nothing here does I/O: the same snapshot gives the same result.
 */
package dev.isthmus.controlplane.gateway;
