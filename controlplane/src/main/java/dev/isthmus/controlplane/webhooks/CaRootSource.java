package dev.isthmus.controlplane.webhooks;

/**
 * {@code CaRootSource} supplies the PEM of the CA root(s) clients use to verify the webhook's
 * serving certificate (the webhook configurations' {@code caBundle}) and tells listeners when it
 * changes (root rotation).
 */
public interface CaRootSource {

  /** The current root certificate(s), PEM-encoded; never null. */
  String rootPem();

  /**
   * Registers {@code listener}, run after every change of {@link #rootPem()}.
   *
   * @return a handle whose {@code close()} unregisters the listener
   */
  AutoCloseable onChange(Runnable listener);

  /** A source whose root never changes. */
  static CaRootSource fixed(String pem) {
    return new CaRootSource() {
      @Override
      public String rootPem() {
        return pem;
      }

      @Override
      public AutoCloseable onChange(Runnable listener) {
        return () -> {};
      }
    };
  }
}
