#!/usr/bin/env bash
# Builds the GPU bundle: one self-contained folder that runs the GPU backend's tests on a Linux
# x86-64 machine with an NVIDIA GPU, its driver and cuDNN, but no JDK, Maven or network.
#
#   gpu-backend/tools/make-gpu-bundle.sh [OUT_DIR]      (default: gpu-backend/target/gpu-bundle)
#
# The folder holds
#   runtime/        a JDK 25 runtime made by jlink (java.base, jdk.incubator.vector, jdk.unsupported,
#                   java.logging, java.management, and what the test launcher needs)
#   lib/            the project's jars (api, cpu-backend, gpu-backend with the JCuda natives) and
#                   the org.jcuda jars (jcuda, jcudnn)
#   test-classes/   gpu-backend's compiled tests
#   module/         the CUDA and Java sources some tests read (PTX up to date, facade rule)
#   junit-platform-console-standalone.jar
#   run.sh          runs every gpu-backend test class and prints "N passed, N failed, N skipped"
# and must stay under 64 MiB (checked at the end). cuDNN is not included (about 1 GB): on the GPU
# host, name its directory with INCEPTIONJ_CUDNN_PATH=DIR (e.g. pip's nvidia-cudnn-cu12/13 wheel,
# .../site-packages/nvidia/cudnn/lib) unless it is in a standard place.
#
# Builds with the Maven wrapper (package, tests skipped; MVN_FLAGS=-o to stay offline once the
# artifacts are in the local repository). The JDK 25 is looked for where mvnw looks: JAVA_HOME,
# JAVA<n>_HOME, /usr/lib/jvm, /usr/java, /opt/java, ~/.sdkman, ~/.jdks.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/gpu-backend/target/gpu-bundle}
budget_mib=64
mvn=("$root/mvnw" -q ${MVN_FLAGS:-} -f "$root/pom.xml")

find_jdk25() {
    local home major
    for home in "${JAVA_HOME-}" $(env | sed -n 's/^JAVA[0-9]*_HOME=//p') /usr/lib/jvm/* /usr/java/* /opt/java/* \
        "${HOME-}"/.sdkman/candidates/java/* "${HOME-}"/.jdks/*; do
        [ -n "$home" ] && [ -f "$home/release" ] && [ -x "$home/bin/jlink" ] || continue
        major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
        if [ -n "$major" ] && [ "$major" -ge 25 ]; then
            echo "$home"
            return 0
        fi
    done
    return 1
}
jdk=$(find_jdk25) || { echo "make-gpu-bundle.sh: no JDK 25+ with jlink found (set JAVA25_HOME)" >&2; exit 1; }

prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$root/pom.xml" | head -1; }
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' "$root/pom.xml" | head -1)
jcuda=$(prop jcuda.version)
junit=$(prop junit.version)
platform="1.${junit#5.}"          # JUnit Jupiter 5.x.y ships with Platform 1.x.y

echo "== building the jars and gpu-backend's test classes (JDK: $jdk)"
"${mvn[@]}" -pl gpu-backend -am -DskipTests package

rm -rf "$out"
mkdir -p "$out/lib" "$out/module/src/main"
for m in api cpu-backend gpu-backend; do
    cp "$root/$m/target/inceptionj-$m-$version.jar" "$out/lib/"
done
"${mvn[@]}" -N dependency:copy -Dartifact="org.jcuda:jcuda:$jcuda" -DoutputDirectory="$out/lib"
"${mvn[@]}" -N dependency:copy -Dartifact="org.jcuda:jcudnn:$jcuda" -DoutputDirectory="$out/lib"
"${mvn[@]}" -N dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform" \
    -DoutputDirectory="$out"
mv "$out/junit-platform-console-standalone-$platform.jar" "$out/junit-platform-console-standalone.jar"
cp -r "$root/gpu-backend/target/test-classes" "$out/test-classes"
cp -r "$root/gpu-backend/src/main/cuda" "$root/gpu-backend/src/main/java" "$out/module/src/main/"
mkdir -p "$out/module/tools" && cp "$root/gpu-backend/tools/build-ptx.sh" "$out/module/tools/"

echo "== jlink"
"$jdk/bin/jlink" --add-modules java.base,jdk.incubator.vector,jdk.unsupported,java.logging,java.management \
    --strip-debug --no-header-files --no-man-pages --compress=zip-6 --output "$out/runtime" 2>&1 \
    | grep -v 'Using incubator modules' || true

cat > "$out/run.sh" <<'RUN'
#!/bin/sh
# Runs InceptionJ's GPU-backend tests with the bundled Java runtime and JUnit's console launcher.
#   ./run.sh [launcher options]       e.g. ./run.sh --select-class org.inceptionj.gpu.GpuSmokeTest
# Needs the NVIDIA driver and cuDNN 8/9; name cuDNN's directory with INCEPTIONJ_CUDNN_PATH=DIR unless
# it is in a standard place. Extra JVM options: JAVA_OPTS. Prints "N passed, N failed, N skipped"
# (skipped: tests that stated a reason, e.g. no GPU) and exits non-zero if a test failed.
here=$(cd "$(dirname "$0")" && pwd)
cp=$here/test-classes
for j in "$here"/lib/*.jar; do cp=$cp:$j; done
select="--scan-class-path=$here/test-classes"
for a in "$@"; do case $a in --select*|-c|-m|-p) select= ;; esac; done
colors=
[ -t 1 ] || colors=--disable-ansi-colors
log=$(mktemp)
cd "$here/module" || exit 2
# shellcheck disable=SC2086
"$here/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m $JAVA_OPTS \
    -jar "$here/junit-platform-console-standalone.jar" execute --disable-banner --details=tree $colors \
    --class-path "$cp" $select "$@" 2>&1 | tee "$log"
count() { sed -n "s/^\[ *\([0-9]*\) tests $1 *\]$/\1/p" "$log" | head -1; }
passed=$(count successful); failed=$(count failed); aborted=$(count aborted); skipped=$(count skipped)
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed, $(( ${aborted:-0} + ${skipped:-0} )) skipped"
[ "${failed:-1}" = 0 ] && [ -n "$passed" ]
RUN
chmod +x "$out/run.sh"

size=$(du -sb "$out" | cut -f1)
mib=$(( (size + 1048575) / 1048576 ))
echo "== bundle: $out"
du -sh "$out"/runtime "$out"/lib "$out"/test-classes "$out"/module "$out"/junit-platform-console-standalone.jar \
    | sed 's/^/   /'
echo "   total $mib MiB ($size bytes), budget $budget_mib MiB"
if [ "$size" -gt $(( budget_mib * 1048576 )) ]; then
    echo "make-gpu-bundle.sh: the bundle exceeds $budget_mib MiB" >&2
    exit 1
fi
