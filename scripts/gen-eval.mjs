// Builds eval/questions.json from the default catalog: labelled questions
// (expected feature code) in three kinds:
//   named       the feature's name, acronym or code appears
//   identifier  a parameter, counter or KPI of the feature appears
//   paraphrase  hand-written questions that name no feature, parameter or
//               acronym (PARAPHRASES below, keyed by the base feature's name)
// Deterministic; run `node scripts/gen-eval.mjs` after changing the
// generator and commit the result.
import { writeFileSync } from 'node:fs';
import { generateCatalog } from './catalog-generator.mjs';

const PARAPHRASES = {
  'Carrier Aggregation': [
    'how can a phone download faster by combining several frequency channels into one wider pipe',
    'bundle multiple component carriers to raise peak download speed',
  ],
  'Uplink Carrier Aggregation': ['can a handset send data on two uplink carriers at the same time for faster uploads'],
  'Secondary Cell Activation': ['when are secondary cells switched on and off for a device depending on its buffer'],
  'Cross-Carrier Scheduling': ['schedule data on one carrier using control signalling sent on another carrier'],
  'Admission Control': ['new connections get rejected when the cell has no resources left, what decides that'],
  'Congestion Control': ['how does the cell release or downgrade bearers when it is overloaded'],
  'DRX Configuration': ['let phones sleep between scheduling occasions to save battery'],
  'Inactivity Timer Control': ['how long does an idle connection stay up with no traffic before it is released'],
  'Bearer Preemption': ['let important bearers take resources away from lower priority ones'],
  'Radio Link Failure Handling': [
    'what happens after a radio link failure is detected and the connection must be re-established',
  ],
  'EN-DC Dual Connectivity': ['connect a handset to LTE and 5G at the same time for non-standalone service'],
  'NR Standalone Access': ['offer 5G service through the 5G core without any LTE anchor'],
  'Dynamic Spectrum Sharing': ['share one carrier between LTE and 5G depending on demand'],
  'NR Beam Management': ['how are SSB and CSI-RS beams selected and tracked for each handset'],
  'Bandwidth Part Switching': ['switch a handset between narrow and wide bandwidth parts to save power'],
  'SgNB Addition Control': ['when is a 5G secondary node added based on B1 measurements'],
  'NR TDD Pattern Configuration': ['set the downlink and uplink slot pattern of 5G TDD cells'],
  'NR Supplementary Uplink': ['add a low band uplink carrier to extend 5G uplink coverage'],
  'X2 Link Management': ['set up and supervise links between neighbouring base stations'],
  'SCTP Association Supervision': ['heartbeats and retransmission timers on the signalling transport associations'],
  'IP Security': ['encrypt backhaul traffic with tunnels'],
  'Synchronisation Supervision': ['supervise GPS and PTP clock sources for time and phase alignment'],
  'F1 Split Management': ['manage the interface between the central unit and the distributed units'],
  'Transport QoS Mapping': ['map radio bearers to DSCP values on the transport network'],
  'MIMO Sleep Mode': [
    'save energy at night by switching off some transmit branches when traffic is low',
    'turn off antenna branches during quiet hours and wake them up when load comes back',
  ],
  'Transmission Mode 9': ['beamformed transmission using CSI reference signals'],
  'Uplink MU-MIMO': ['pair several handsets on the same uplink resources'],
  'Remote Electrical Tilt': ['change the antenna downtilt from the office to reshape coverage'],
  'Antenna Fault Detection': ['detect broken antennas and feeders from high return loss or VSWR'],
  'Rank Adaptation': ['choose how many spatial layers each handset gets from the channel rank'],
  'Interference Rejection Combining': ['combine receive antennas to suppress uplink interference'],
  'Micro Sleep Tx': ['turn off the power amplifier in empty symbols to cut energy use'],
  'Cell Sleep Mode': ['put capacity cells to sleep at low traffic while coverage cells stay on'],
  'Low Energy Scheduler': ['pack traffic into fewer subframes so the hardware can idle'],
  'Carrier Shutdown': ['switch off whole carriers during quiet hours'],
  'Energy Consumption Reporting': ['how many watts does each radio unit consume'],
  'Battery Backup Management': ['limit power draw while the site runs on batteries after a mains outage'],
  'Intra-Frequency Handover': ['move a handset to a neighbour on the same frequency using the A3 event'],
  'Automatic Neighbour Relations': ['discover and add neighbour relations automatically from handset reports'],
  'Mobility Robustness Optimisation': [
    'too many too early and too late handovers and ping pong, how to tune the offsets automatically',
  ],
  'Idle Mode Reselection': ['priorities and thresholds phones use to reselect cells while idle'],
  'Conditional Handover': ['prepare target cells in advance and let the handset execute the handover itself'],
  'Speed-Dependent Mobility': ['scale handover timers for handsets on high speed trains'],
  'Release with Redirect': ['release a connection and send the handset to another carrier'],
  'Inter-Cell Interference Coordination': [
    'coordinate resource use at cell edges to reduce interference between neighbours',
  ],
  'Uplink Interference Detection': ['measure the uplink noise rise per resource block'],
  'Atmospheric Ducting Mitigation': ['remote interference in TDD caused by atmospheric ducting'],
  'Uplink Power Control': ['set p0 and alpha for uplink path loss compensation'],
  'Passive Intermodulation Detection': ['find PIM from faulty connectors'],
  'Coordinated Multipoint': ['neighbouring cells transmit jointly to cell edge handsets'],
  'Guard Band Management': ['configure guard bands between adjacent carriers'],
  'Coverage Extension': ['reach handsets deep indoors with repetitions'],
  'Cell Range Extension': ['extend the cell radius beyond the normal timing advance limit'],
  'TTI Bundling': ['repeat uplink transmissions over consecutive TTIs for cell edge handsets'],
  'Coverage Hole Detection': ['find coverage holes from failed connections and weak signal reports'],
  'Paging Optimisation': ['tune paging cycles and repetitions'],
  'Maximum Transmission Power Control': ['limit the total output power of a cell in watts'],
  '256-QAM Downlink': ['use higher order modulation for handsets with excellent radio conditions in the downlink'],
  'Licensed Assisted Access': ['aggregate unlicensed 5 GHz spectrum with licensed carriers'],
  'Stadium Mode': ['tune the schedulers for crowded events like concerts'],
  'Multi-Operator RAN': ['share radio equipment between several operators'],
  'VoLTE Capacity Optimisation': ['pack more voice calls into a cell with semi persistent grants'],
  'Proportional Fair Scheduling': ['balance throughput and fairness between handsets'],
  'Semi-Persistent Scheduling': ['give periodic grants to voice without control signalling every time'],
  'Frequency Selective Scheduling': ['schedule each handset on its best subbands'],
  'Link Adaptation': ['select modulation and coding from CQI and HARQ feedback'],
  'HARQ Optimisation': ['tune retransmission counts and timing'],
  'Mini-Slot Scheduling': ['schedule 5G data in mini slots for ultra low latency'],
  'OTDOA Positioning': ['locate handsets from time differences of positioning reference signals'],
  'Enhanced Cell ID': ['estimate where a handset is from its cell, timing advance and angle'],
  'Emergency Call Location': ['provide the caller location for 112 and 911 calls'],
  'Angle of Arrival Estimation': ['estimate the direction an uplink signal comes from'],
  'Round Trip Time Positioning': ['measure round trip times between a handset and several cells to locate it'],
  'Air Interface Ciphering': ['encrypt user and signalling data over the air with SNOW or AES'],
  'Integrity Protection': ['protect signalling messages against tampering'],
  'Certificate Management': ['enroll and renew node certificates with the PKI'],
  'Rogue Base Station Detection': ['detect fake cells and IMSI catchers from handset reports'],
  'Role-Based Access Control': ['limit operator accounts to what their roles allow'],
  'Secure Boot': ['verify software signatures when the node starts'],
  'Inter-Frequency Load Balancing': ['offload connected handsets to less loaded frequencies'],
  'Idle Mode Load Balancing': ['distribute idle handsets over carriers with reselection priorities'],
  'Mobility Load Balancing': ['shift handover borders between neighbours according to their load'],
  'Traffic Steering': ['steer handsets to preferred layers by capability and service'],
  'Subscriber Profile Steering': ['steer handsets by their subscriber profile id'],
  VoLTE: ['carry voice calls over LTE with IMS'],
  'CS Fallback': ['move handsets to 2G or 3G for circuit switched calls'],
  SRVCC: ['keep a voice call alive when the handset leaves LTE coverage for 3G'],
  VoNR: ['voice calls carried natively over 5G'],
  'Robust Header Compression': ['compress RTP headers of voice packets'],
  'Voice Quality Monitoring': ['measure voice quality from packet loss and jitter'],
  'EPS Fallback': ['5G handsets fall back to LTE to make voice calls'],
  'Codec Rate Adaptation': ['adapt the AMR or EVS codec rate to radio conditions'],
  'PCI Conflict Detection': ['detect physical cell id collisions and confusions'],
  'Cell Outage Detection': ['find sleeping cells from sudden traffic drops'],
  'Coverage and Capacity Optimisation': ['tune tilt and power automatically for coverage and capacity'],
  'Automatic RACH Optimisation': ['tune random access preambles and power automatically'],
  'Self-Healing': ['compensate a failed cell with its neighbours'],
  'Neighbour Cleanup': ['remove unused neighbour relations'],
  'Self-Configuration': ['configure new base stations automatically at first start, plug and play'],
};

const c = generateCatalog();
const byName = new Map(c.features.map((f) => [f.name, f]));
const out = [];
let n = 0;
const pick = (xs) => xs[n++ % xs.length];
// named: 120, every fifth feature, with rotating templates
const acronymCount = c.features.reduce((m, f) => m.set(f.acronym, (m.get(f.acronym) ?? 0) + 1), new Map());
// An acronym two features share is no way to name one of them.
const short = (f) => (acronymCount.get(f.acronym) === 1 ? f.acronym : f.name);
const named = [
  (f) => `What does ${f.name} do?`,
  (f) => `Which parameters control ${f.name}?`,
  (f) => `How do I enable ${short(f)}?`,
  (f) => `What are the dependencies of ${f.code}?`,
  (f) => `Which counters show whether ${f.name} works?`,
  (f) => `Is ${short(f)} worth activating on a busy cell?`,
];
c.features
  .filter((_, i) => i % 5 === 0)
  .slice(0, 110)
  .forEach((f) => out.push({ q: pick(named)(f), expected: f.code, kind: 'named' }));
// identifier: 90 from parameters, counters and KPIs of other features
const idq = [
  (p) => `What is the allowed range of ${p.name}?`,
  (p) => `${p.name.split('.')[1]} default value?`,
  (ct) => `Why is ${ct.name.split('.')[1]} increasing on my cells?`,
  (k) => `How is the ${k.name} KPI computed?`,
];
for (let i = 0; out.length < 200; i++) {
  const kind = i % 4;
  const item =
    kind < 2
      ? c.parameters[(i * 97) % c.parameters.length]
      : kind === 2
        ? c.counters[(i * 53) % c.counters.length]
        : c.kpis[(i * 31) % c.kpis.length];
  out.push({ q: idq[kind](item), expected: item.features[0], kind: 'identifier' });
}
// paraphrase
for (const [name, qs] of Object.entries(PARAPHRASES)) {
  const f = byName.get(name);
  if (!f) throw new Error(`no feature named ${name}`);
  for (const q of qs) {
    const lower = q.toLowerCase();
    if (lower.includes(name.toLowerCase()) || new RegExp(`\\b${f.acronym.toLowerCase()}\\b`).test(lower))
      throw new Error(`paraphrase names its feature: ${q}`);
    out.push({ q, expected: f.code, kind: 'paraphrase' });
  }
}
const counts = out.reduce((m, x) => ((m[x.kind] = (m[x.kind] ?? 0) + 1), m), {});
writeFileSync('eval/questions.json', JSON.stringify({ catalogSeed: c.seed, counts, questions: out }, null, 1) + '\n');
console.log(`eval: ${out.length} questions`, counts);
