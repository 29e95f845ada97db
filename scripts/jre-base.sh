#!/usr/bin/env bash
# Assembles the base image of the Isthmus images without a container engine: a Debian minbase root filesystem
# (debootstrap of the host's Debian release, from the host's apt mirror) with openjdk-17-jre-headless, stripped of
# apt lists, docs, man pages and locales, with a non-root user 65532, saved as a docker-save tarball that Jib takes
# as a tar:// base (manifest.json + config + one layer made with sorted names, mtime 0 and numeric owners).
# Idempotent: when the tarball exists it prints its path and exits at once.
#
#   scripts/jre-base.sh                      # build if missing; prints ~/.isthmus/images/jre-base-<release>.tar
#   ./mvnw -B verify -Dimages.base=tar://$(scripts/jre-base.sh)   # builds images/target/isthmus-*.tar on it
#
# Needs root (debootstrap, chroot). The tarball is stable once built (it is cached): rebuilding it picks up newer
# Debian packages and new keystore dates, and so a new digest.
set -euo pipefail

log() { printf '[jre-base] %s\n' "$*" >&2; }

RELEASE="${DEBIAN_RELEASE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}"
[[ -n "$RELEASE" ]] || { log "cannot tell the host's Debian release; set DEBIAN_RELEASE"; exit 1; }
ROOT="${ISTHMUS_IMAGES_DIR:-$HOME/.isthmus/images}"
OUT="$ROOT/jre-base-$RELEASE.tar"

if [[ -s "$OUT" ]]; then
  log "base image present: $OUT"
  echo "$OUT"
  exit 0
fi
[[ $(id -u) -eq 0 ]] || { log "debootstrap needs root"; exit 1; }

# the mirror is the one apt already uses on this host (deb822 sources first, then the one-line format)
mirror() {
  local m=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    m=$(awk -v rel="$RELEASE" '
          /^URIs:/ {uri=$2} /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == rel) found=uri}
          /^$/ {uri=""} END {print found}' /etc/apt/sources.list.d/*.sources)
  fi
  if [[ -z "$m" && -f /etc/apt/sources.list ]]; then
    m=$(awk -v rel="$RELEASE" '$1 == "deb" && $3 == rel {print $2; exit}' /etc/apt/sources.list)
  fi
  echo "$m"
}
MIRROR="${DEBIAN_MIRROR:-$(mirror)}"
[[ -n "$MIRROR" ]] || { log "no apt source for $RELEASE found; set DEBIAN_MIRROR"; exit 1; }
command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y debootstrap >&2 || { apt-get update >&2 && apt-get install -y debootstrap >&2; }; }

start=$(date +%s)
mkdir -p "$ROOT"
WORK=$(mktemp -d "$ROOT/build.XXXXXX")
trap 'umount -R "$WORK/rootfs/proc" "$WORK/rootfs/dev" 2>/dev/null || true; rm -rf "$WORK"' EXIT
FS="$WORK/rootfs"
log "debootstrap $RELEASE minbase + openjdk-17-jre-headless (a few minutes)"
debootstrap --variant=minbase --include=openjdk-17-jre-headless "$RELEASE" "$FS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
  { tail -30 "$WORK/debootstrap.log" >&2; exit 1; }

# the JRE must run, and find its CA store, before anything is saved
mount --bind /dev "$FS/dev"
mount -t proc proc "$FS/proc"
chroot "$FS" /usr/bin/java -version >&2
certs=$(chroot "$FS" /usr/bin/keytool -list -cacerts -storepass changeit 2>/dev/null | grep -c trustedCertEntry || true)
[[ "$certs" -gt 50 ]] || { log "the JRE's cacerts holds $certs certificates"; exit 1; }
chroot "$FS" /usr/bin/java -XshowSettings:security:properties -version 2>&1 | grep -q 'securerandom.source=file:/dev/random' ||
  log "note: securerandom.source is not /dev/random"
umount "$FS/proc" "$FS/dev"

# non-root user of the images
echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin' >>"$FS/etc/passwd"
echo 'nonroot:x:65532:' >>"$FS/etc/group"
echo 'nonroot:!:0::::::' >>"$FS/etc/shadow"
install -d -m 0755 -o 65532 -g 65532 "$FS/home/nonroot"

# strip: package indexes and caches, documentation, locales, logs, machine identity, device nodes (the runtime mounts
# /dev), and what only a JDK reads (javac's ct.sym) or a person (the JRE's man pages)
rm -rf "$FS"/var/lib/apt/lists/* "$FS"/var/cache/apt/* "$FS"/var/cache/debconf/*-old "$FS"/var/cache/ldconfig/* \
  "$FS"/usr/share/doc/* "$FS"/usr/share/man/* "$FS"/usr/share/info/* "$FS"/usr/share/lintian "$FS"/usr/share/linda \
  "$FS"/usr/share/locale/* "$FS"/var/log/* "$FS"/var/lib/dpkg/*-old "$FS"/tmp/* "$FS"/var/tmp/* "$FS"/run/* \
  "$FS"/dev/* "$FS"/debootstrap "$FS"/etc/machine-id "$FS"/var/lib/dbus/machine-id \
  "$FS"/etc/ssh/ssh_host_* "$FS"/root/.bash_history "$FS"/usr/lib/jvm/*/man "$FS"/usr/lib/jvm/*/lib/ct.sym
: >"$FS/etc/machine-id"
chmod 1777 "$FS/tmp"

# one layer: sorted names, mtime 0, numeric owners, no access/change times
layer="$WORK/layer.tar"
tar --sort=name --mtime=@0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$FS" -cf "$layer" .
diff_id=$(sha256sum "$layer" | cut -d' ' -f1)
jre=$(cd "$FS" && ls -d usr/lib/jvm/java-17-openjdk-* | head -1)

img="$WORK/image"
mkdir -p "$img/$diff_id"
mv "$layer" "$img/$diff_id/layer.tar"
cat >"$img/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"User":"65532:65532","WorkingDir":"/","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/$jre","LANG=C.UTF-8"]},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"scripts/jre-base.sh: debootstrap --variant=minbase $RELEASE + openjdk-17-jre-headless"}]}
JSON
config_id=$(sha256sum "$img/config.json" | cut -d' ' -f1)
mv "$img/config.json" "$img/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["isthmus/jre-base:%s"],"Layers":["%s/layer.tar"]}]\n' \
  "$config_id" "$RELEASE" "$diff_id" >"$img/manifest.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  --no-recursion -C "$img" -cf "$OUT.tmp" $(cd "$img" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort)
mv "$OUT.tmp" "$OUT"
log "built $OUT ($(du -m "$OUT" | cut -f1) MB, layer sha256:$diff_id) in $(( $(date +%s) - start ))s"
echo "$OUT"
