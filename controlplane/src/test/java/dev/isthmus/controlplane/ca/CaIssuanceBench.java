package dev.isthmus.controlplane.ca;

import dev.isthmus.controlplane.ca.proto.IstioCertificateRequest;
import dev.isthmus.testing.TestKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Rough issuance throughput, run by hand (not a test, no assertions on time):
 *
 * <pre>
 * ./mvnw -B -q -pl controlplane test-compile
 * java -cp controlplane/target/test-classes:controlplane/target/classes:$(cat cp.txt) \
 *     dev.isthmus.controlplane.ca.CaIssuanceBench [threads] [seconds] [--tokenreview]
 * </pre>
 *
 * <p>For each CA key type it prints the raw signing rate of the CA key and the rate of full request
 * handling (CSR parsing and signature check, identity check, signing, PEM encoding) for ECDSA P-256
 * and RSA 2048 leaf keys, authenticated by client certificate or, with {@code --tokenreview}, by a
 * service-account token reviewed by a real API server.
 */
public final class CaIssuanceBench {
  private CaIssuanceBench() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
    boolean tokenReview = List.of(args).contains("--tokenreview");
    String id = "spiffe://cluster.local/ns/bench/sa/bench";
    CaConfig config = CaConfig.defaults("istio-system");
    KubernetesClient client = null;
    String token = null;
    if (tokenReview) {
      client = TestKubeApiServer.get().client();
      String ns = CaServer.namespace(client, "bench");
      CaServer.serviceAccount(client, ns, "bench");
      token = CaServer.token(client, ns, "bench", "istio-ca");
      id = config.spiffeId(ns, "bench");
    }
    System.out.printf(
        Locale.ROOT,
        "threads=%d seconds=%.0f auth=%s%n",
        threads,
        seconds,
        tokenReview ? "TokenReview" : "client certificate");
    for (KeyType caType : KeyType.values()) {
      SigningAuthority ca = CaFixtures.selfSigned(caType);
      byte[] tbs = ca.root().getTBSCertificate();
      String alg = KeyType.signatureAlgorithm(ca.root().getPublicKey());
      double raw =
          rate(
              threads,
              seconds,
              () -> {
                Signature s = Signature.getInstance(alg);
                s.initSign(ca.key());
                s.update(tbs);
                return s.sign();
              });
      System.out.printf(Locale.ROOT, "CA %-10s raw %s signatures/s: %8.0f%n", caType, alg, raw);
      CertificateService service =
          new CertificateService(
              config,
              new CallerAuthenticator(client, config, () -> ca),
              () -> ca,
              new CaMetrics(new SimpleMeterRegistry(), () -> ca));
      var creds =
          tokenReview
              ? new AuthInterceptor.Credentials("Bearer " + token, List.of())
              : new AuthInterceptor.Credentials(
                  null,
                  ca.chainFor(
                      CertIssuer.workload(
                          ca, KeyType.ECDSA_P256.generate().getPublic(), id, Duration.ofHours(1))));
      for (KeyType leafType : KeyType.values()) {
        KeyPair leaf = leafType.generate();
        IstioCertificateRequest request =
            IstioCertificateRequest.newBuilder()
                .setCsr(CaFixtures.spiffeCsr(leaf, id))
                .setValidityDuration(3600)
                .build();
        double issued = rate(threads, seconds, () -> service.issue(request, creds));
        System.out.printf(
            Locale.ROOT,
            "CA %-10s leaf %-10s certificates/s: %8.0f  (%.2f of raw signing)%n",
            caType,
            leafType,
            issued,
            issued / raw);
      }
    }
    System.exit(0);
  }

  private static double rate(int threads, double seconds, Callable<?> op) throws Exception {
    for (long end = System.nanoTime() + 1_000_000_000L; System.nanoTime() < end; ) {
      op.call(); // warm-up
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicBoolean stop = new AtomicBoolean();
    LongAdder done = new LongAdder();
    long start = System.nanoTime();
    List<Future<?>> futures = new java.util.ArrayList<>();
    for (int i = 0; i < threads; i++) {
      futures.add(
          pool.submit(
              () -> {
                while (!stop.get()) {
                  op.call();
                  done.increment();
                }
                return null;
              }));
    }
    Thread.sleep((long) (seconds * 1000));
    stop.set(true);
    for (Future<?> f : futures) {
      f.get();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    return done.sum() / elapsed;
  }
}
