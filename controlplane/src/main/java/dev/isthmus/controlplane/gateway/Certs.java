package dev.isthmus.controlplane.gateway;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Checks of certificate and key material referenced from listeners, with Istio's messages. */
final class Certs {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

  private Certs() {}

  /** Picks the certificate and key of a TLS secret, or explains why there are none. */
  static byte[][] certAndKey(Map<String, byte[]> data) throws IllegalArgumentException {
    if (hasValue(data, "cert", "key")) {
      return new byte[][] {data.get("cert"), data.get("key")};
    }
    if (hasValue(data, "tls.crt", "tls.key")) {
      return new byte[][] {data.get("tls.crt"), data.get("tls.key")};
    }
    if (data.containsKey("cert") && data.containsKey("key")) {
      throw new IllegalArgumentException("found keys \"cert\" and \"key\", but they were empty");
    }
    if (data.containsKey("tls.crt") && data.containsKey("tls.key")) {
      throw new IllegalArgumentException(
          "found keys \"tls.crt\" and \"tls.key\", but they were empty");
    }
    throw new IllegalArgumentException(
        "found secret, but didn't have expected keys (cert and key) or (tls.crt and tls.key);"
            + " found: "
            + keys(data));
  }

  /** Picks the CA bundle of a secret or config map, or explains why there is none. */
  static byte[] root(Map<String, byte[]> data) {
    if (hasValue(data, "cacert")) {
      return data.get("cacert");
    }
    if (hasValue(data, "ca.crt")) {
      return data.get("ca.crt");
    }
    if (data.containsKey("cacert")) {
      throw new IllegalArgumentException("found key \"cacert\", but it was empty");
    }
    if (data.containsKey("ca.crt")) {
      throw new IllegalArgumentException("found key \"ca.crt\", but it was empty");
    }
    throw new IllegalArgumentException(
        "found secret, but didn't have expected keys cacert or ca.crt; found: " + keys(data));
  }

  /** Null when the pair is usable, else the reason in the words of Go's TLS stack. */
  static String keyPairProblem(byte[] cert, byte[] key) {
    List<String[]> certBlocks = blocks(cert);
    if (certBlocks.isEmpty()) {
      return "tls: failed to find any PEM data in certificate input";
    }
    X509Certificate x509 = null;
    for (String[] b : certBlocks) {
      if (b[0].equals("CERTIFICATE")) {
        try {
          x509 = parseCert(b[1]);
        } catch (Exception e) {
          return "x509: malformed certificate";
        }
        break;
      }
    }
    if (x509 == null) {
      return "tls: failed to find \"CERTIFICATE\" PEM block in certificate input";
    }
    if (blocks(key).isEmpty()) {
      return "tls: failed to find any PEM data in key input";
    }
    PublicKey pub;
    try (PEMParser p = new PEMParser(new StringReader(new String(key, StandardCharsets.UTF_8)))) {
      Object o = p.readObject();
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair kp) {
        pub = conv.getKeyPair(kp).getPublic();
      } else if (o instanceof PrivateKeyInfo pki) {
        // PKCS#8 holds no public key; an RSA key still shows its modulus.
        if (conv.getPrivateKey(pki) instanceof RSAPrivateKey rsa
            && x509.getPublicKey() instanceof RSAPublicKey certKey
            && !rsa.getModulus().equals(certKey.getModulus())) {
          return "tls: private key does not match public key";
        }
        return null;
      } else {
        return "tls: failed to parse private key";
      }
    } catch (Exception e) {
      return "tls: failed to parse private key";
    }
    if (!pub.equals(x509.getPublicKey())) {
      return "tls: private key does not match public key";
    }
    return null;
  }

  /** Whether the bundle holds at least one parseable certificate. */
  static boolean validBundle(byte[] pem) {
    for (String[] b : blocks(pem)) {
      if (b[0].equals("CERTIFICATE")) {
        try {
          parseCert(b[1]);
          return true;
        } catch (Exception e) {
          // try the next block
        }
      }
    }
    return false;
  }

  private static X509Certificate parseCert(String base64) throws Exception {
    byte[] der = Base64.getMimeDecoder().decode(base64.trim());
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  private static List<String[]> blocks(byte[] pem) {
    List<String[]> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.UTF_8));
    while (m.find()) {
      out.add(new String[] {m.group(1), m.group(2)});
    }
    return out;
  }

  private static boolean hasValue(Map<String, byte[]> data, String... keys) {
    for (String k : keys) {
      byte[] v = data.get(k);
      if (v == null || v.length == 0) {
        return false;
      }
    }
    return true;
  }

  private static String keys(Map<String, byte[]> data) {
    List<String> keys = data.keySet().stream().sorted().toList();
    if (keys.size() < 3) {
      return String.join(", ", keys);
    }
    return String.join(", ", keys.subList(0, 3)) + ", and " + (keys.size() - 3) + " more...";
  }
}
