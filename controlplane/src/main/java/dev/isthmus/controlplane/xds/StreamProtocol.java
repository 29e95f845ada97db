package dev.isthmus.controlplane.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;

/**
 * {@code StreamProtocol} reads what {@link AdsService} needs from the requests and responses of one
 * ADS variant, State-of-the-World ({@link #SOTW}) or Delta ({@link #DELTA}), so both streams share
 * one handler.
 */
interface StreamProtocol<Q, R> {
  boolean delta();

  /** The request's node, or null when it carries none. */
  Node node(Q req);

  Q withNode(Q req, Node node);

  String requestType(Q req);

  String responseNonce(Q req);

  /** The version a SotW request acknowledges; Delta requests carry none. */
  String requestVersion(Q req);

  /** The NACK's message, or null for an ACK or a first request. */
  String error(Q req);

  String type(R resp);

  String version(R resp);

  String nonce(R resp);

  /** An answer without resources, for a type the control plane does not generate. */
  R empty(String type, String nonce);

  StreamProtocol<DiscoveryRequest, DiscoveryResponse> SOTW =
      new StreamProtocol<>() {
        @Override
        public boolean delta() {
          return false;
        }

        @Override
        public Node node(DiscoveryRequest req) {
          return req.hasNode() ? req.getNode() : null;
        }

        @Override
        public DiscoveryRequest withNode(DiscoveryRequest req, Node node) {
          return req.toBuilder().setNode(node).build();
        }

        @Override
        public String requestType(DiscoveryRequest req) {
          return req.getTypeUrl();
        }

        @Override
        public String responseNonce(DiscoveryRequest req) {
          return req.getResponseNonce();
        }

        @Override
        public String requestVersion(DiscoveryRequest req) {
          return req.getVersionInfo();
        }

        @Override
        public String error(DiscoveryRequest req) {
          return req.hasErrorDetail() ? req.getErrorDetail().getMessage() : null;
        }

        @Override
        public String type(DiscoveryResponse resp) {
          return resp.getTypeUrl();
        }

        @Override
        public String version(DiscoveryResponse resp) {
          return resp.getVersionInfo();
        }

        @Override
        public String nonce(DiscoveryResponse resp) {
          return resp.getNonce();
        }

        @Override
        public DiscoveryResponse empty(String type, String nonce) {
          return DiscoveryResponse.newBuilder().setTypeUrl(type).setNonce(nonce).build();
        }
      };

  StreamProtocol<DeltaDiscoveryRequest, DeltaDiscoveryResponse> DELTA =
      new StreamProtocol<>() {
        @Override
        public boolean delta() {
          return true;
        }

        @Override
        public Node node(DeltaDiscoveryRequest req) {
          return req.hasNode() ? req.getNode() : null;
        }

        @Override
        public DeltaDiscoveryRequest withNode(DeltaDiscoveryRequest req, Node node) {
          return req.toBuilder().setNode(node).build();
        }

        @Override
        public String requestType(DeltaDiscoveryRequest req) {
          return req.getTypeUrl();
        }

        @Override
        public String responseNonce(DeltaDiscoveryRequest req) {
          return req.getResponseNonce();
        }

        @Override
        public String requestVersion(DeltaDiscoveryRequest req) {
          return "";
        }

        @Override
        public String error(DeltaDiscoveryRequest req) {
          return req.hasErrorDetail() ? req.getErrorDetail().getMessage() : null;
        }

        @Override
        public String type(DeltaDiscoveryResponse resp) {
          return resp.getTypeUrl();
        }

        @Override
        public String version(DeltaDiscoveryResponse resp) {
          return resp.getSystemVersionInfo();
        }

        @Override
        public String nonce(DeltaDiscoveryResponse resp) {
          return resp.getNonce();
        }

        @Override
        public DeltaDiscoveryResponse empty(String type, String nonce) {
          return DeltaDiscoveryResponse.newBuilder().setTypeUrl(type).setNonce(nonce).build();
        }
      };
}
