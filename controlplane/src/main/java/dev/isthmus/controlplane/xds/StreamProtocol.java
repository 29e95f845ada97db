package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * {@code StreamProtocol} reads what {@link AdsService} needs from the requests and responses of one
 * ADS variant, State-of-the-World ({@link #SOTW}) or Delta ({@link #DELTA}), so both streams share
 * one handler.
 *
 * @param delta whether this is the incremental variant
 * @param node the request's node, or null when it carries none
 * @param withNode the request with the stream's node attached
 * @param withoutNonce the request without its response nonce
 * @param requestType the request's type URL
 * @param responseNonce the nonce of the response the request answers
 * @param requestVersion the version a SotW request acknowledges (Delta requests carry none)
 * @param error the NACK's message, or null for an ACK or a first request
 * @param type a response's type URL
 * @param version a response's version
 * @param nonce a response's nonce
 * @param empty an answer without resources (type, nonce), for a type not generated here
 * @param single an answer with one unnamed resource, for Istio's own singleton types
 * @param subscriptionOnly the request without its nonce, or null when it changes no subscription
 *     (for a Delta request answering a response that is not outstanding)
 */
record StreamProtocol<Q, R>(
    boolean delta,
    Function<Q, Node> node,
    BiFunction<Q, Node, Q> withNode,
    Function<Q, Q> withoutNonce,
    Function<Q, String> requestType,
    Function<Q, String> responseNonce,
    Function<Q, String> requestVersion,
    Function<Q, String> error,
    Function<R, String> type,
    Function<R, String> version,
    Function<R, String> nonce,
    BiFunction<String, String, R> empty,
    Single<R> single,
    Function<Q, Q> subscriptionOnly) {

  /** Builds a response carrying one unnamed resource. */
  interface Single<R> {
    R of(String type, String version, String nonce, Any resource);
  }

  static final StreamProtocol<DiscoveryRequest, DiscoveryResponse> SOTW =
      new StreamProtocol<>(
          false,
          q -> q.hasNode() ? q.getNode() : null,
          (q, n) -> q.toBuilder().setNode(n).build(),
          q -> q.toBuilder().clearResponseNonce().build(),
          DiscoveryRequest::getTypeUrl,
          DiscoveryRequest::getResponseNonce,
          DiscoveryRequest::getVersionInfo,
          q -> q.hasErrorDetail() ? q.getErrorDetail().getMessage() : null,
          DiscoveryResponse::getTypeUrl,
          DiscoveryResponse::getVersionInfo,
          DiscoveryResponse::getNonce,
          (t, n) -> DiscoveryResponse.newBuilder().setTypeUrl(t).setNonce(n).build(),
          (t, v, n, r) ->
              DiscoveryResponse.newBuilder()
                  .setTypeUrl(t)
                  .setVersionInfo(v)
                  .setNonce(n)
                  .addResources(r)
                  .build(),
          q -> q.toBuilder().setResponseNonce("").clearErrorDetail().build());

  static final StreamProtocol<DeltaDiscoveryRequest, DeltaDiscoveryResponse> DELTA =
      new StreamProtocol<>(
          true,
          q -> q.hasNode() ? q.getNode() : null,
          (q, n) -> q.toBuilder().setNode(n).build(),
          q -> q.toBuilder().clearResponseNonce().build(),
          DeltaDiscoveryRequest::getTypeUrl,
          DeltaDiscoveryRequest::getResponseNonce,
          q -> "",
          q -> q.hasErrorDetail() ? q.getErrorDetail().getMessage() : null,
          DeltaDiscoveryResponse::getTypeUrl,
          DeltaDiscoveryResponse::getSystemVersionInfo,
          DeltaDiscoveryResponse::getNonce,
          (t, n) -> DeltaDiscoveryResponse.newBuilder().setTypeUrl(t).setNonce(n).build(),
          (t, v, n, r) ->
              DeltaDiscoveryResponse.newBuilder()
                  .setTypeUrl(t)
                  .setSystemVersionInfo(v)
                  .setNonce(n)
                  .addResources(Resource.newBuilder().setVersion(v).setResource(r))
                  .build(),
          q ->
              q.getResourceNamesSubscribeCount() == 0 && q.getResourceNamesUnsubscribeCount() == 0
                  ? null
                  : q.toBuilder().setResponseNonce("").clearErrorDetail().build());
}
