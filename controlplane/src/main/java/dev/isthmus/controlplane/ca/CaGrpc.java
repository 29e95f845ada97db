package dev.isthmus.controlplane.ca;

import dev.isthmus.controlplane.ca.proto.IstioCertificateRequest;
import dev.isthmus.controlplane.ca.proto.IstioCertificateResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;

/**
 * {@code CaGrpc} describes {@code istio.v1.auth.IstioCertificateService/CreateCertificate} on the
 * wire, with protobuf marshalling of the generated messages, and offers a blocking client call.
 */
public final class CaGrpc {
  /** The fully qualified gRPC service name Istio's agent calls. */
  public static final String SERVICE = "istio.v1.auth.IstioCertificateService";

  /** The unary {@code CreateCertificate} method. */
  public static final MethodDescriptor<IstioCertificateRequest, IstioCertificateResponse>
      CREATE_CERTIFICATE =
          MethodDescriptor.<IstioCertificateRequest, IstioCertificateResponse>newBuilder()
              .setType(MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(
                  MethodDescriptor.generateFullMethodName(SERVICE, "CreateCertificate"))
              .setRequestMarshaller(
                  ProtoUtils.marshaller(IstioCertificateRequest.getDefaultInstance()))
              .setResponseMarshaller(
                  ProtoUtils.marshaller(IstioCertificateResponse.getDefaultInstance()))
              .build();

  private CaGrpc() {}

  /** Calls {@code CreateCertificate} on {@code channel} and waits for the answer. */
  public static IstioCertificateResponse createCertificate(
      Channel channel, CallOptions options, IstioCertificateRequest request) {
    return ClientCalls.blockingUnaryCall(channel, CREATE_CERTIFICATE, options, request);
  }
}
