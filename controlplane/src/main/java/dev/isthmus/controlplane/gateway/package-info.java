/**
 * Gateway API to Istio configuration: a pure conversion ({@link
 * dev.isthmus.controlplane.gateway.GatewayApiConverter}) from a snapshot of Gateway API objects
 * (GatewayClass, Gateway, ListenerSet, HTTPRoute, GRPCRoute, TCPRoute, TLSRoute, ReferenceGrant)
 * plus the services, secrets, config maps and namespaces they refer to ({@link
 * dev.isthmus.controlplane.gateway.GatewayApiSnapshot}) into the derived {@code
 * networking.istio.io/v1} Gateways and VirtualServices and the status of every Gateway API object
 * ({@link dev.isthmus.controlplane.gateway.GatewayApiResult}).
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
