package dev.isthmus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBinariesTest {
  @TempDir Path dir;

  @Test
  void theFolderComesFromKubeApiTestsVariableElseTheHome() {
    assertThat(LocalBinaries.root(Map.of("KUBE_API_TEST_DIR", "/opt/k"), "/home/u"))
        .isEqualTo(Path.of("/opt/k"));
    assertThat(LocalBinaries.root(Map.of(), "/home/u")).isEqualTo(Path.of("/home/u/.kubeapitest"));
  }

  @Test
  void binariesArePresentOnlyWhenBothAreExecutable() throws Exception {
    assertThat(LocalBinaries.present(dir)).isFalse();
    Path version = Files.createDirectories(dir.resolve("k8s/1.34.4-linux-amd64"));
    executable(version.resolve("kube-apiserver"));
    assertThat(LocalBinaries.present(dir)).as("etcd missing").isFalse();
    Files.writeString(version.resolve("etcd"), "");
    assertThat(LocalBinaries.present(dir)).as("etcd not executable").isFalse();
    executable(version.resolve("etcd"));
    assertThat(LocalBinaries.present(dir)).isTrue();
  }

  @Test
  void theScriptIsFoundInTheCheckoutThatBuiltTheJar() throws Exception {
    Path jar = Files.createDirectories(dir.resolve("cli/target")).resolve("isthmus-runner.jar");
    Files.writeString(jar, "");
    assertThat(LocalBinaries.script(jar)).isEmpty();
    Path script = Files.createDirectories(dir.resolve("scripts")).resolve("kube-binaries.sh");
    Files.writeString(script, "#!/bin/sh\n");
    assertThat(LocalBinaries.script(jar)).contains(script);
  }

  private static void executable(Path p) throws Exception {
    Files.writeString(p, "#!/bin/sh\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
