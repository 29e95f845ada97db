package dev.isthmus.controlplane.agent;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A minimal DNS client, as the application next to the agent: A queries over UDP. */
final class Dns {
  private Dns() {}

  /** The IPv4 addresses {@code 127.0.0.1:port} answers for {@code name}, empty when none. */
  static List<String> resolve(int port, String name) throws Exception {
    ByteArrayOutputStream q = new ByteArrayOutputStream();
    q.writeBytes(new byte[] {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
    for (String label : name.split("\\.")) {
      byte[] b = label.getBytes(StandardCharsets.US_ASCII);
      q.write(b.length);
      q.writeBytes(b);
    }
    q.writeBytes(new byte[] {0, 0, 1, 0, 1}); // root, type A, class IN
    byte[] query = q.toByteArray();
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(2000);
      socket.send(new DatagramPacket(query, query.length, InetAddress.getLoopbackAddress(), port));
      byte[] buf = new byte[1500];
      DatagramPacket answer = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(answer);
      } catch (SocketTimeoutException e) {
        return List.of();
      }
      return addresses(ByteBuffer.wrap(buf, 0, answer.getLength()));
    }
  }

  private static List<String> addresses(ByteBuffer m) {
    m.position(4);
    int questions = m.getShort() & 0xffff;
    int answers = m.getShort() & 0xffff;
    m.position(12);
    for (int i = 0; i < questions; i++) {
      skipName(m);
      m.position(m.position() + 4);
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < answers; i++) {
      skipName(m);
      int type = m.getShort() & 0xffff;
      m.position(m.position() + 6); // class, TTL
      int length = m.getShort() & 0xffff;
      byte[] data = new byte[length];
      m.get(data);
      if (type == 1 && length == 4) {
        out.add(
            (data[0] & 0xff)
                + "."
                + (data[1] & 0xff)
                + "."
                + (data[2] & 0xff)
                + "."
                + (data[3] & 0xff));
      }
    }
    return out;
  }

  private static void skipName(ByteBuffer m) {
    while (true) {
      int len = m.get() & 0xff;
      if (len == 0) {
        return;
      }
      if ((len & 0xc0) == 0xc0) {
        m.get(); // a pointer ends the name
        return;
      }
      m.position(m.position() + len);
    }
  }
}
