package dev.isthmus.controlplane.ca;

import io.grpc.Status;

/**
 * {@code CaException} is a refused certificate request: the gRPC status code the caller gets and a
 * message naming the field at fault.
 */
public final class CaException extends Exception {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;

  /** A refusal with {@code code} and {@code message}. */
  public CaException(Status.Code code, String message) {
    super(message);
    this.code = code;
  }

  /** The gRPC status code for the caller. */
  public Status.Code code() {
    return code;
  }

  /** This refusal as a gRPC status. */
  public Status status() {
    return Status.fromCode(code).withDescription(getMessage());
  }
}
