#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 20) each, from seed corpora made at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/fuzz
secs=${FUZZ_SECONDS:-20}
mkdir -p "$dir/seeds"
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DELEX_FUZZ=ON \
  -DELEX_BUILD_TESTS=OFF -DELEX_BUILD_BENCH=OFF >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1 || { cat "$dir/build.log"; exit 1; }
node scripts/fuzz-seeds.mjs "$dir/seeds"
export ASAN_OPTIONS=detect_leaks=1
for target in fuzz_vectors_decode fuzz_index_decode fuzz_agent_decode fuzz_validator fuzz_lexical fuzz_router fuzz_catalog; do
  rm -rf "$dir/corpus-$target" "$dir/seeds-$target" && mkdir -p "$dir/corpus-$target" "$dir/seeds-$target"
  case $target in
    fuzz_index_decode) "$dir/seed_index" "$dir/seeds-$target" ;;
    fuzz_agent_decode) mkdir -p "$dir/tmp-index" && "$dir/seed_index" "$dir/tmp-index" "$dir/seeds-$target" ;;
    fuzz_lexical) printf '\x00\x01\x05\x30EUtranCellFDD.mimoSleepStartTime RfBranch.x\x03\x00\x00\x0cUL  uplink!\x04\x00\x00\x20which parameters control MIMO UL' >"$dir/seeds-$target/doc" ;;
    fuzz_router) printf '\x03\x02\x0cFAJ 121 0001\x0fMIMO Sleep Mode\x03MSM\x06Energy\x00\x0cFAJ 121 0002\x07D-PUCCH\x07D-PUCCH\x00\x00\x0cFAJ 121 0003\x13Carrier Aggregation\x02CA\x00\x00\x01\x01\x01\x01\x23AntennaUnitGroup.mimoSleepStartTime\x0cwhen it ends\x01\x00\x02\x0bpmPucchDrop\x00\x01\x01\x01\x00\x01\x01\x01\x01\x02UL\x06uplink\x2bwhich parameter sets MIMO sleep start time?\x0fD-PUCCH FAJ1210003' >"$dir/seeds-$target/catalog" ;;
    fuzz_catalog) printf '{"features":[{"code":"FAJ 121 0001","parameters":["A.b"],"dependencies":["FAJ 121 0002"]},{"code":"FAJ1210002/3","kpis":["K"]}],"parameters":[{"name":"A.b","range":[0,1e400],"safe":{"min":1,"max":0,"maxChange":-1}}],"kpis":[{"name":"K","formula":"100 * A.pmX / (A.pmY - 2)","direction":"up"}],"glossary":[{"term":"UL","means":"uplink \\u00e9\\ud83d\\ude00"}]}' >"$dir/seeds-$target/catalog" ;;
    fuzz_validator) node -e 'let s=1;const b=Buffer.alloc(4096);for(let i=0;i<b.length;i++){s=(Math.imul(s,1103515245)+12345)>>>0;b[i]=s>>>24}require("fs").writeFileSync(process.argv[1],b)' "$dir/seeds-$target/lcg" ;;
    *) cp "$dir"/seeds/* "$dir/seeds-$target/" ;;
  esac
  "$dir/$target" -max_total_time="$secs" -max_len=8192 -print_final_stats=1 \
    "$dir/corpus-$target" "$dir/seeds-$target" >"$dir/$target.log" 2>&1 || { tail -50 "$dir/$target.log"; echo "fuzz: $target FAILED"; exit 1; }
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/$target.log" | grep -o '[0-9]*$')
  echo "fuzz: $target ran $runs inputs in ${secs}s, no crash, leak or UB"
done
