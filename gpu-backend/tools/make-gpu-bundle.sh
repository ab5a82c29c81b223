#!/usr/bin/env bash
# Builds the GPU bundle: one self-contained folder that runs the GPU backend's tests on a Linux
# x86-64 machine with an NVIDIA GPU, its driver and cuDNN, but no JDK, Maven or network.
#
#   gpu-backend/tools/make-gpu-bundle.sh [OUT_DIR]      (default: gpu-backend/target/gpu-bundle)
#
# The folder holds
#   runtime.tgz     a JDK 25 runtime made by jlink, packed (run.sh unpacks it to $UNPACK_DIR, default
#                   /tmp/inceptionj-gpu-bundle-UID, once) (java.base, jdk.incubator.vector, jdk.unsupported,
#                   java.logging, java.management, and what the test launcher needs)
#   lib/            the project's jars (api, cpu-backend, gpu-backend with the JCuda natives,
#                   conformance-tests), the org.jcuda jars (jcuda, jcudnn) and jqwik
#   inception-classes/  the inception module's classes, without its Fashion-MNIST data
#   test-classes/   gpu-backend's compiled tests
#   model-classes/  inception's CudaAgreementTest and CudaBenchmark
#   onnx-node.tgz   the ONNX node test data (shared/conformance/onnx-node) for CudaOnnxNodeTest, packed
#   module/         the CUDA and Java sources some tests read (PTX up to date, facade rule)
#   junit-platform-console-standalone.jar
#   run.sh          the one command on the GPU host (see below)
# and must stay under 40 MiB (checked at the end): the device tool carries it together with the
# repository's tracked files (about 20 MB, most of it Fashion-MNIST), 64 MiB in all.
# cuDNN is not included (about 1 GB): on the GPU
# host, name its directory with INCEPTIONJ_CUDNN_PATH=DIR (e.g. pip's nvidia-cudnn-cu12/13 wheel,
# .../site-packages/nvidia/cudnn/lib) unless it is in a standard place.
#
# run.sh runs, each phase under its own time limit so that the whole stays under 8 minutes:
#   1. the first checks: GpuSmokeTest, CudaBackendTest, the model agreement (CudaAgreementTest) and
#      every other test of gpu-backend except the conformance suites          (limit PHASE1_S, 150 s)
#   2. the benchmark: Inception-v3 299x299, inference batch 1/128, training batch 32/128, images/s and
#      the fraction of the FP32 peak measured in the same run                  (limit BENCH_S, 150 s)
#   3. the conformance kit against cuda: forward, gradient and ONNX suites     (limit PHASE3_S, 170 s)
# It prints each phase's failures (first lines), "N passed, N failed, N skipped" over all phases and
# the benchmark table, keeps full logs in $LOG_DIR (default ./logs), and exits non-zero when a test
# failed, a phase timed out or the benchmark failed.
#
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/gpu-backend/target/gpu-bundle}
budget_mib=40
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

echo "== building the jars and the test classes of gpu-backend and inception (JDK: $jdk)"
"${mvn[@]}" -pl gpu-backend -am -DskipTests package

"${mvn[@]}" -pl inception -am -DskipTests test-compile

rm -rf "$out"
mkdir -p "$out/lib" "$out/module/src/main"
for m in api cpu-backend gpu-backend conformance-tests; do
    cp "$root/$m/target/inceptionj-$m-$version.jar" "$out/lib/"
done
# inception's classes without its 16 MB of Fashion-MNIST (the model and TrainStep do not read them)
cp -r "$root/inception/target/classes" "$out/inception-classes"
rm -rf "$out/inception-classes/org/inceptionj/inception/data/fashion-mnist"
jqwik=$(prop jqwik.version)
for a in "org.jcuda:jcuda:$jcuda" "org.jcuda:jcudnn:$jcuda" "net.jqwik:jqwik-api:$jqwik" "net.jqwik:jqwik-engine:$jqwik"; do
    "${mvn[@]}" -N dependency:copy -Dartifact="$a" -DoutputDirectory="$out/lib"
done
"${mvn[@]}" -N dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform" \
    -DoutputDirectory="$out"
mv "$out/junit-platform-console-standalone-$platform.jar" "$out/junit-platform-console-standalone.jar"
cp -r "$root/gpu-backend/target/test-classes" "$out/test-classes"
mkdir -p "$out/model-classes/org/inceptionj/inception"
cp "$root"/inception/target/test-classes/org/inceptionj/inception/CudaAgreementTest*.class \
   "$root"/inception/target/test-classes/org/inceptionj/inception/CudaBenchmark*.class \
   "$out/model-classes/org/inceptionj/inception/"
onnx=$root/../shared/conformance/onnx-node
if [ -d "$onnx" ]; then
    cp -r "$onnx" "$out/onnx-node"
else
    echo "make-gpu-bundle.sh: no ONNX node data at $onnx: CudaOnnxNodeTest will report it missing" >&2
fi
cp -r "$root/gpu-backend/src/main/cuda" "$root/gpu-backend/src/main/java" "$out/module/src/main/"
mkdir -p "$out/module/src/test" && cp -r "$root/gpu-backend/src/test/cuda-host" "$out/module/src/test/"
mkdir -p "$out/module/tools" && cp "$root/gpu-backend/tools/build-ptx.sh" "$out/module/tools/"

echo "== jlink"
# jlink uncompressed, then one tar.gz: smaller than jlink's own zip compression (run.sh unpacks it once)
"$jdk/bin/jlink" --add-modules java.base,jdk.incubator.vector,jdk.unsupported,java.logging,java.management \
    --strip-debug --no-header-files --no-man-pages --output "$out/runtime" 2>&1 \
    | grep -v 'Using incubator modules' || true
tar -C "$out" -czf "$out/runtime.tgz" runtime && rm -rf "$out/runtime"
if [ -d "$out/onnx-node" ]; then
    tar -C "$out" -czf "$out/onnx-node.tgz" onnx-node && rm -rf "$out/onnx-node"
fi

cat > "$out/run.sh" <<'RUN'
#!/bin/sh
# Runs InceptionJ's GPU checks with the bundled Java runtime, in three phases (see make-gpu-bundle.sh):
# first checks and the model agreement, the benchmark, the conformance suites.
#   ./run.sh                 everything (about 8 minutes at most)
#   ./run.sh --select-class org.inceptionj.gpu.GpuSmokeTest     only these tests (launcher options)
# Needs the NVIDIA driver and cuDNN 8/9; name cuDNN's directory with INCEPTIONJ_CUDNN_PATH=DIR unless
# it is in a standard place. Extra JVM options: JAVA_OPTS (e.g. -Dinceptionj.cuda.sync=true to name the
# op of a kernel fault). Full logs: LOG_DIR (default ./logs). Time limits: PHASE1_S, BENCH_S, PHASE3_S.
here=$(cd "$(dirname "$0")" && pwd)
# The packed runtime and ONNX data are unpacked outside the bundle (which stays small enough to be
# carried again), once per version of the .tgz.
unpack=${UNPACK_DIR:-${TMPDIR:-/tmp}/inceptionj-gpu-bundle-$(id -u)}
for t in runtime onnx-node; do
    if [ -f "$here/$t.tgz" ] && { [ ! -f "$unpack/.$t" ] || [ "$here/$t.tgz" -nt "$unpack/.$t" ]; }; then
        rm -rf "${unpack:?}/$t" && mkdir -p "$unpack" && tar -C "$unpack" -xzf "$here/$t.tgz" && touch "$unpack/.$t" \
            || { echo "run.sh: cannot unpack $t.tgz in $unpack" >&2; exit 2; }
    fi
done
logs=${LOG_DIR:-$here/logs}
mkdir -p "$logs"
cp=$here/test-classes:$here/model-classes:$here/inception-classes
for j in "$here"/lib/*.jar; do cp=$cp:$j; done
java="$unpack/runtime/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m -Xmx8g"
props="-Dinceptionj.onnx.dir=$unpack/onnx-node -Djqwik.reporting.onlyfailures=true -Djqwik.database=$logs/jqwik-database"
cd "$here/module" || exit 2
passed=0; failed=0; skipped=0; status=0
if command -v nvidia-smi >/dev/null 2>&1; then
    echo "== $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
fi
# cuDNN from the Python that holds PyTorch (pip's nvidia-cudnn-cu12/13), unless named
if [ -z "${INCEPTIONJ_CUDNN_PATH:-}" ] && command -v python3 >/dev/null 2>&1; then
    d=$(python3 -c 'import nvidia.cudnn as c, os; print(os.path.join(list(c.__path__)[0], "lib"))' 2>/dev/null)
    [ -n "$d" ] && [ -d "$d" ] && export INCEPTIONJ_CUDNN_PATH=$d
    # the CUDA libraries cuDNN may open by name (cuBLASLt, NVRTC for some engines), from the same wheels
    libs=$(python3 -c 'import nvidia, os; p = list(nvidia.__path__)[0]; print(":".join(os.path.join(p, x, "lib") for x in sorted(os.listdir(p)) if os.path.isdir(os.path.join(p, x, "lib"))))' 2>/dev/null)
    [ -n "$libs" ] && export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
echo "== cuDNN: ${INCEPTIONJ_CUDNN_PATH:-searched in the standard places}"

# $1 name, $2 time limit, then launcher options
tests() {
    name=$1; limit=$2; shift 2
    log=$logs/$name.log
    echo "== $name (limit ${limit}s)"
    # shellcheck disable=SC2086
    timeout "$limit" $java $props $JAVA_OPTS -jar "$here/junit-platform-console-standalone.jar" execute \
        --disable-banner --details=tree --disable-ansi-colors --class-path "$cp" "$@" > "$log" 2>&1
    rc=$?
    count() { sed -n "s/^\[ *\([0-9]*\) $1 *\]$/\1/p" "$log" | head -1; }
    p=$(count "tests successful"); f=$(count "tests failed"); a=$(count "tests aborted"); s=$(count "tests skipped")
    ca=$(count "containers aborted"); cs=$(count "containers skipped"); cf=$(count "containers failed")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${cf:-0}))
    skipped=$((skipped + ${a:-0} + ${s:-0} + ${ca:-0} + ${cs:-0}))
    echo "   ${p:-0} passed, $(( ${f:-0} + ${cf:-0} )) failed, $(( ${a:-0} + ${s:-0} )) tests and $(( ${ca:-0} + ${cs:-0} )) classes skipped"
    grep -o -E "(↷|■) .*" "$log" | sed 's:/tmp/inceptionj-cuda-[0-9]*/::' | cut -c1-220 | sort | uniq -c | sort -rn \
        | head -5 | sed 's/^/   skipped: /'
    sed -n '/^Failures (/,/^Test run finished/p' "$log" | grep -v '^\s*at \(java\|org.junit\|net.jqwik\|jdk\)' \
        | cut -c1-400 | head -120 | sed 's/^/   /'
    if [ $rc = 124 ]; then
        echo "   TIMED OUT after ${limit}s: counts are partial (see $log); failures so far:"; status=1
        grep "✘" "$log" | cut -c1-300 | head -40 | sed 's/^/   /'
    elif [ $rc != 0 ] && [ $rc != 1 ]; then
        echo "   launcher exit code $rc (see $log)"; status=1
    fi
    [ "${f:-0}" = 0 ] && [ "${cf:-0}" = 0 ] || status=1
}

if [ $# -gt 0 ]; then
    tests selected 600 "$@"
else
    tests first-checks "${PHASE1_S:-150}" --select-package org.inceptionj.gpu \
        --select-class org.inceptionj.inception.CudaAgreementTest \
        --exclude-classname '.*(CudaConformanceTest|CudaGradientConformanceTest|CudaOnnxNodeTest)$'
    echo "== benchmark (limit ${BENCH_S:-150}s)"
    # shellcheck disable=SC2086
    timeout "${BENCH_S:-150}" $java $props $JAVA_OPTS -cp "$cp" org.inceptionj.inception.CudaBenchmark \
        > "$logs/benchmark.log" 2>&1
    brc=$?
    grep -v '^\s*at ' "$logs/benchmark.log" | head -40
    case $brc in
        0) ;;
        2) echo "   benchmark skipped: the cuda backend cannot start here" ;;
        *) echo "   benchmark exit code $brc$([ $brc = 124 ] && echo ': timed out') (see $logs/benchmark.log)"; status=1 ;;
    esac
    tests conformance "${PHASE3_S:-170}" --select-class org.inceptionj.gpu.CudaConformanceTest \
        --select-class org.inceptionj.gpu.CudaGradientConformanceTest --select-class org.inceptionj.gpu.CudaOnnxNodeTest
fi
echo "$passed passed, $failed failed, $skipped skipped"
grep -q "CudaBackendTest ↷" "$logs/first-checks.log" 2>/dev/null && echo "NOTE: no GPU test ran here (reasons above)"
[ $status = 0 ] && [ $failed = 0 ] && [ $passed -gt 0 ]
RUN
chmod +x "$out/run.sh"

size=$(du -sb "$out" | cut -f1)
mib=$(( (size + 1048575) / 1048576 ))
echo "== bundle: $out"
du -sh "$out"/runtime.tgz "$out"/lib "$out"/test-classes "$out"/model-classes "$out"/inception-classes "$out"/module "$out"/junit-platform-console-standalone.jar $( [ -f "$out/onnx-node.tgz" ] && echo "$out/onnx-node.tgz") \
    | sed 's/^/   /'
echo "   total $mib MiB ($size bytes), budget $budget_mib MiB"
if [ "$size" -gt $(( budget_mib * 1048576 )) ]; then
    echo "make-gpu-bundle.sh: the bundle exceeds $budget_mib MiB" >&2
    exit 1
fi
