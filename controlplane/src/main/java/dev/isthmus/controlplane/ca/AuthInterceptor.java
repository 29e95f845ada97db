package dev.isthmus.controlplane.ca;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * {@code AuthInterceptor} copies what a call presents as credentials, the {@code authorization}
 * header and the TLS client certificate chain from the SSL session, into the gRPC {@link Context}
 * under {@link #CREDENTIALS}, where {@link CertificateService} authenticates them.
 */
public final class AuthInterceptor implements ServerInterceptor {
  /** What the current call presented. */
  public record Credentials(String authorization, List<X509Certificate> peerChain) {}

  /** The current call's credentials. */
  public static final Context.Key<Credentials> CREDENTIALS = Context.key("isthmus-ca-credentials");

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    List<X509Certificate> peer = List.of();
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session != null) {
      try {
        peer = CallerAuthenticator.x509(session.getPeerCertificates());
      } catch (SSLPeerUnverifiedException e) {
        peer = List.of(); // no client certificate: token authentication only
      }
    }
    Credentials creds = new Credentials(headers.get(AUTHORIZATION), peer);
    return Contexts.interceptCall(
        Context.current().withValue(CREDENTIALS, creds), call, headers, next);
  }
}
