// The default RAN catalog: a deterministic, seeded generator. The package
// runs it in the page the first time the default catalog is used (about 11 KB
// brotli on the wire instead of 250 KB of JSON); `npm run build:catalog`
// writes it to build/catalog/default.json for the tests and the eval. 593 features in
// 16 categories, 9,432 parameters, 3,368 counters and 199 KPIs with LTE/NR
// vocabulary: camelCase attributes on MO classes, pm… counters, KPI
// formulas, ranges and safe zones. The same seed gives the same bytes.
import { mulberry32 } from './mulberry32.mjs';

export const TARGET = { features: 593, parameters: 9432, counters: 3368, kpis: 199 };

const rng = mulberry32;

// Each category: MO classes its features configure, and concepts. A concept
// is [name, acronym, attribute stem, description, synonyms used in its text].
const CATEGORIES = {
  'Carrier Aggregation': {
    mo: ['CarrierAggregationFunction', 'EUtranCellFDD', 'NRCellDU', 'SectorCarrier', 'EUtranFreqRelation'],
    concepts: [
      [
        'Carrier Aggregation',
        'CA',
        'caConfig',
        'combines several component carriers into one wider channel so a device downloads faster',
        'bandwidth combining throughput',
      ],
      [
        'Uplink Carrier Aggregation',
        'ULCA',
        'ulCa',
        'lets a device transmit on two uplink component carriers at once for higher upload speed',
        'upload uplink speed',
      ],
      [
        'Secondary Cell Activation',
        'SCA',
        'sCellActivation',
        'activates and deactivates secondary cells for aggregated devices depending on buffer size',
        'secondary cell scell activation',
      ],
      [
        'Inter-Band Carrier Aggregation',
        'IBCA',
        'interBandCa',
        'aggregates carriers from different frequency bands',
        'band combination',
      ],
      [
        'Dynamic SCell Selection',
        'DSS',
        'dynScellSel',
        'picks the best secondary cell per device from channel quality reports',
        'secondary cell quality',
      ],
      [
        'Cross-Carrier Scheduling',
        'CCS',
        'crossCarrierSched',
        'schedules data on one carrier from control signalling sent on another',
        'control channel pdcch',
      ],
      [
        'Carrier Aggregation Load Awareness',
        'CALA',
        'caLoadAware',
        'avoids adding heavily loaded carriers as secondary cells',
        'load congestion',
      ],
      [
        'Three Component Carrier Aggregation',
        '3CC',
        'threeCc',
        'aggregates three downlink component carriers',
        'three carriers',
      ],
      ['NR Carrier Aggregation', 'NRCA', 'nrCa', 'aggregates 5G NR carriers in FR1 and FR2', 'fr1 fr2'],
      [
        'Carrier Aggregation Power Sharing',
        'CAPS',
        'caPowerShare',
        'shares uplink transmit power between aggregated carriers',
        'power headroom',
      ],
    ],
  },
  'Radio Resource Management': {
    mo: ['ENodeBFunction', 'EUtranCellFDD', 'RadioBearerTable', 'QciProfilePredefined', 'Rrc'],
    concepts: [
      [
        'Admission Control',
        'AC',
        'admCtrl',
        'rejects new connections when cell resources are exhausted to protect existing users',
        'reject block capacity',
      ],
      [
        'Congestion Control',
        'CC',
        'congCtrl',
        'releases or downgrades bearers when the cell is congested',
        'overload release',
      ],
      [
        'RRC Connection Management',
        'RRCM',
        'rrcConn',
        'controls RRC connection setup, release and inactivity timers',
        'connection setup inactivity',
      ],
      [
        'Quality of Service Scheduling',
        'QOS',
        'qosSched',
        'prioritises bearers by QCI so voice and video keep their guaranteed bit rate',
        'priority qci guaranteed',
      ],
      [
        'Resource Partitioning',
        'RP',
        'resPartition',
        'reserves physical resource blocks for groups of subscribers',
        'prb reservation',
      ],
      [
        'Bearer Preemption',
        'BP',
        'bearerPreempt',
        'lets high priority bearers take resources from lower priority ones',
        'arp priority',
      ],
      [
        'DRX Configuration',
        'DRX',
        'drx',
        'discontinuous reception lets a device sleep between scheduling occasions to save battery',
        'battery sleep device',
      ],
      [
        'Inactivity Timer Control',
        'ITC',
        'inactTimer',
        'releases idle connections after a configurable time without traffic',
        'idle release timer',
      ],
      ['Subscriber Group Profiles', 'SGP', 'subGroup', 'applies radio settings per subscriber group', 'profile group'],
      [
        'Radio Link Failure Handling',
        'RLF',
        'rlf',
        'detects radio link failures and triggers re-establishment',
        'link failure reestablishment',
      ],
    ],
  },
  'NR/5G': {
    mo: ['NRCellDU', 'NRCellCU', 'GNBDUFunction', 'GNBCUCPFunction', 'EndcDistrProfile'],
    concepts: [
      [
        'EN-DC Dual Connectivity',
        'ENDC',
        'endc',
        'connects a device to LTE and NR at the same time for 5G non-standalone service',
        'dual connectivity nsa',
      ],
      [
        'NR Standalone Access',
        'NRSA',
        'nrSa',
        'provides 5G service through a 5G core without an LTE anchor',
        'standalone 5gc',
      ],
      [
        'Dynamic Spectrum Sharing',
        'DSSH',
        'dynSpecShare',
        'shares one carrier between LTE and NR depending on demand',
        'spectrum sharing',
      ],
      [
        'NR Beam Management',
        'NRBM',
        'nrBeam',
        'selects and tracks SSB and CSI-RS beams for each device',
        'beam ssb csi',
      ],
      [
        'Bandwidth Part Switching',
        'BWP',
        'bwp',
        'switches a device between narrow and wide bandwidth parts to save power',
        'bandwidth part',
      ],
      [
        'NR Uplink Split Bearer',
        'ULSB',
        'ulSplitBearer',
        'routes uplink data over LTE or NR depending on radio quality',
        'split bearer',
      ],
      [
        'SgNB Addition Control',
        'SGNB',
        'sgnbAdd',
        'decides when to add a 5G secondary node based on B1 measurements',
        'b1 secondary node',
      ],
      ['NR Slicing Support', 'NRSL', 'nrSlice', 'reserves radio resources per network slice', 'slice sla'],
      [
        'NR TDD Pattern Configuration',
        'TDDP',
        'tddPattern',
        'configures the downlink and uplink slot pattern of NR TDD cells',
        'slot pattern',
      ],
      [
        'NR Supplementary Uplink',
        'SUL',
        'sul',
        'adds a low band uplink carrier to extend NR uplink coverage',
        'low band uplink',
      ],
    ],
  },
  'Transport & Connectivity': {
    mo: ['TermPointToENB', 'TermPointToGNodeB', 'SctpEndpoint', 'IpInterface', 'Transport'],
    concepts: [
      [
        'X2 Link Management',
        'X2M',
        'x2Link',
        'sets up and supervises X2 links between neighbouring base stations',
        'x2 neighbour link',
      ],
      ['S1 Flex', 'S1F', 's1Flex', 'connects one base station to several core network nodes', 'mme pool'],
      [
        'SCTP Association Supervision',
        'SCTP',
        'sctpSup',
        'monitors SCTP associations with heartbeats and retransmission timers',
        'heartbeat retransmission',
      ],
      [
        'Transport Network Congestion Control',
        'TNCC',
        'tnCong',
        'throttles traffic when the backhaul link is congested',
        'backhaul throttle',
      ],
      ['IP Security', 'IPSEC', 'ipsec', 'encrypts backhaul traffic with IPsec tunnels', 'tunnel encryption'],
      [
        'Synchronisation Supervision',
        'SYNC',
        'syncSup',
        'supervises time and phase synchronisation sources',
        'gps ptp clock',
      ],
      ['Xn Interface', 'XN', 'xnIf', 'sets up Xn links between 5G base stations', 'xn link'],
      [
        'F1 Split Management',
        'F1',
        'f1Split',
        'manages the F1 interface between central and distributed units',
        'cu du split',
      ],
      ['Ethernet OAM', 'EOAM', 'ethOam', 'runs Ethernet connectivity fault management on the backhaul', 'cfm fault'],
      [
        'Transport QoS Mapping',
        'TQM',
        'tqMap',
        'maps radio bearers to DSCP values on the transport network',
        'dscp marking',
      ],
    ],
  },
  'MIMO & Antenna': {
    mo: ['MimoSleepFunction', 'AntennaUnitGroup', 'RfBranch', 'SectorEquipmentFunction', 'EUtranCellFDD'],
    concepts: [
      [
        'MIMO Sleep Mode',
        'MSM',
        'mimoSleep',
        'switches off MIMO transmit branches during low traffic to save energy and wakes them when load returns',
        'power saving antenna branches night',
      ],
      [
        '4x4 MIMO',
        '4X4',
        'mimo4x4',
        'uses four transmit and four receive antennas for higher throughput',
        'four layers',
      ],
      [
        'Transmission Mode 9',
        'TM9',
        'tm9',
        'enables beamformed transmission with CSI reference signals',
        'beamforming csi',
      ],
      [
        'Uplink MU-MIMO',
        'ULMU',
        'ulMuMimo',
        'pairs several devices on the same uplink resources',
        'multi user pairing',
      ],
      ['Remote Electrical Tilt', 'RET', 'ret', 'adjusts antenna downtilt remotely to shape coverage', 'tilt downtilt'],
      ['Massive MIMO Beamforming', 'MMB', 'massMimo', 'forms narrow beams with large antenna arrays', 'array beams'],
      [
        'Antenna Fault Detection',
        'AFD',
        'antFault',
        'detects antenna and feeder faults from return loss',
        'vswr return loss',
      ],
      [
        'Rank Adaptation',
        'RA',
        'rankAdapt',
        'chooses the number of MIMO layers per device from channel rank',
        'layers rank',
      ],
      [
        'Downlink Spatial Multiplexing',
        'DLSM',
        'dlSpatialMux',
        'sends independent data streams over spatial layers',
        'streams layers',
      ],
      [
        'Interference Rejection Combining',
        'IRC',
        'irc',
        'combines receive antennas to suppress uplink interference',
        'receiver combining',
      ],
    ],
  },
  'Energy Efficiency': {
    mo: ['EnergySavingFunction', 'EUtranCellFDD', 'NRCellDU', 'SectorCarrier', 'PowerSaving'],
    concepts: [
      [
        'Micro Sleep Tx',
        'MSTX',
        'microSleepTx',
        'turns off the power amplifier in empty symbols to cut energy use',
        'power amplifier symbol',
      ],
      [
        'Cell Sleep Mode',
        'CSM',
        'cellSleep',
        'puts capacity cells to sleep at low traffic while coverage cells stay on',
        'capacity layer night',
      ],
      [
        'Low Energy Scheduler',
        'LES',
        'lowEnergySched',
        'packs traffic into fewer subframes so hardware can idle',
        'subframes idle',
      ],
      [
        'Carrier Shutdown',
        'CSD',
        'carrierShutdown',
        'switches off whole carriers during quiet hours',
        'quiet hours off',
      ],
      ['Power Amplifier Efficiency', 'PAE', 'paEff', 'adapts power amplifier bias to the current load', 'bias load'],
      [
        'NR Deep Sleep',
        'NRDS',
        'nrDeepSleep',
        'puts NR radios into deep sleep states when no devices are served',
        'deep sleep',
      ],
      [
        'Energy Consumption Reporting',
        'ECR',
        'energyReport',
        'reports measured power consumption per radio unit',
        'watt consumption',
      ],
      [
        'Symbol Power Saving',
        'SPS',
        'symbolPowerSave',
        'mutes reference signals on unused symbols',
        'reference muting',
      ],
      [
        'Traffic-Aware Sleep',
        'TAS',
        'trafficSleep',
        'predicts traffic and schedules sleep windows',
        'prediction windows',
      ],
      [
        'Battery Backup Management',
        'BBM',
        'batteryBackup',
        'limits power draw while running on battery backup',
        'mains outage',
      ],
    ],
  },
  Mobility: {
    mo: ['EUtranCellRelation', 'NRCellRelation', 'ReportConfigEUtraA3', 'UeMeasControl', 'EUtranFreqRelation'],
    concepts: [
      [
        'Intra-Frequency Handover',
        'IFHO',
        'intraFreqHo',
        'hands devices over between cells on the same frequency using A3 events',
        'a3 event neighbour',
      ],
      [
        'Inter-Frequency Handover',
        'IRHO',
        'interFreqHo',
        'moves devices to another frequency when the serving one gets weak',
        'a5 frequency',
      ],
      [
        'Automatic Neighbour Relations',
        'ANR',
        'anr',
        'discovers and adds neighbour cell relations from device reports',
        'neighbour list',
      ],
      [
        'Mobility Robustness Optimisation',
        'MRO',
        'mro',
        'tunes handover offsets to avoid too early and too late handovers',
        'too early too late ping pong',
      ],
      [
        'Idle Mode Reselection',
        'IMR',
        'idleResel',
        'sets priorities and thresholds for cell reselection in idle mode',
        'reselection priority',
      ],
      ['Inter-RAT Handover to WCDMA', 'IRAT', 'iratHo', 'hands devices over to 3G when LTE coverage ends', '3g wcdma'],
      [
        'Conditional Handover',
        'CHO',
        'condHo',
        'prepares target cells in advance and lets the device execute the handover',
        'prepared target',
      ],
      [
        'Speed-Dependent Mobility',
        'SDM',
        'speedMob',
        'scales handover timers for fast moving devices',
        'high speed train',
      ],
      [
        'Release with Redirect',
        'RWR',
        'releaseRedirect',
        'releases a connection and redirects the device to another carrier',
        'redirect',
      ],
      ['NR Handover', 'NRHO', 'nrHo', 'hands devices over between 5G cells', '5g handover'],
    ],
  },
  Interference: {
    mo: ['EUtranCellFDD', 'NRCellDU', 'UlInterferenceControl', 'IcicFunction', 'SectorCarrier'],
    concepts: [
      [
        'Inter-Cell Interference Coordination',
        'ICIC',
        'icic',
        'coordinates resource use at cell edges to reduce interference',
        'cell edge coordination',
      ],
      [
        'Uplink Interference Detection',
        'UID',
        'ulIntfDet',
        'measures the uplink noise rise per resource block',
        'noise rise rssi',
      ],
      [
        'Enhanced ICIC',
        'EICIC',
        'eicic',
        'uses almost blank subframes to protect small cells',
        'almost blank subframes',
      ],
      [
        'Atmospheric Ducting Mitigation',
        'ADM',
        'ductMit',
        'detects remote interference from atmospheric ducting in TDD',
        'remote interference tdd',
      ],
      [
        'Uplink Power Control',
        'ULPC',
        'ulPwrCtrl',
        'sets target received power and path loss compensation for uplink',
        'p0 alpha pathloss',
      ],
      [
        'Passive Intermodulation Detection',
        'PIMD',
        'pimDet',
        'detects passive intermodulation from faulty connectors',
        'pim connector',
      ],
      [
        'Coordinated Multipoint',
        'COMP',
        'comp',
        'lets neighbouring cells transmit jointly to cell edge devices',
        'joint transmission',
      ],
      [
        'Interference-Aware Scheduling',
        'IAS',
        'intfAwareSched',
        'avoids scheduling on interfered resource blocks',
        'interfered prb',
      ],
      [
        'Guard Band Management',
        'GBM',
        'guardBand',
        'configures guard bands between adjacent carriers',
        'adjacent channel',
      ],
      [
        'Downlink Power Control',
        'DLPC',
        'dlPwrCtrl',
        'sets downlink reference signal and data power offsets',
        'reference signal power',
      ],
    ],
  },
  Coverage: {
    mo: ['EUtranCellFDD', 'NRCellDU', 'SectorCarrier', 'CoverageFunction', 'Paging'],
    concepts: [
      [
        'Coverage Extension',
        'CE',
        'covExt',
        'uses repetitions to reach devices deep indoors',
        'deep indoor repetition',
      ],
      [
        'Cell Range Extension',
        'CRE',
        'cellRangeExt',
        'extends the cell radius beyond the standard timing advance',
        'radius timing advance',
      ],
      [
        'TTI Bundling',
        'TTIB',
        'ttiBundling',
        'repeats uplink transmissions over consecutive TTIs for cell edge devices',
        'cell edge repetition',
      ],
      [
        'Coverage Hole Detection',
        'CHD',
        'covHole',
        'detects coverage holes from failed connections and weak reports',
        'weak signal hole',
      ],
      [
        'NB-IoT Coverage Enhancement',
        'NBCE',
        'nbiotCe',
        'sets coverage enhancement levels for NB-IoT devices',
        'iot sensors',
      ],
      ['Paging Optimisation', 'PO', 'pagingOpt', 'controls paging cycles and repetitions', 'paging cycle'],
      ['Reference Signal Boosting', 'RSB', 'rsBoost', 'boosts reference signal power to widen coverage', 'boost rsrp'],
      [
        'Uplink Coverage Improvement',
        'ULCI',
        'ulCovImp',
        'adapts uplink modulation and repetitions at the edge',
        'edge uplink',
      ],
      [
        'Small Cell Coverage Control',
        'SCCC',
        'smallCellCov',
        'limits small cell power so they do not steal macro traffic',
        'small cell power',
      ],
      [
        'Maximum Transmission Power Control',
        'MTPC',
        'maxTxPower',
        'sets the maximum total output power of a cell',
        'output power watt',
      ],
    ],
  },
  Capacity: {
    mo: ['EUtranCellFDD', 'NRCellDU', 'SectorCarrier', 'ENodeBFunction', 'CapacityFunction'],
    concepts: [
      [
        '256-QAM Downlink',
        '256Q',
        'dl256Qam',
        'uses 256-QAM modulation for devices with excellent radio conditions',
        'modulation high order',
      ],
      ['64-QAM Uplink', '64QU', 'ul64Qam', 'enables 64-QAM modulation in the uplink', 'uplink modulation'],
      [
        'Cell Capacity Expansion',
        'CCE',
        'capExp',
        'raises the maximum number of connected users per cell',
        'max users',
      ],
      [
        'PDCCH Capacity Optimisation',
        'PCO',
        'pdcchCap',
        'adapts control channel aggregation levels to serve more devices',
        'control channel cce',
      ],
      [
        'Licensed Assisted Access',
        'LAA',
        'laa',
        'aggregates unlicensed 5 GHz spectrum with licensed carriers',
        'unlicensed 5ghz',
      ],
      [
        'Massive Connection Support',
        'MCS',
        'massConn',
        'supports large numbers of low activity devices',
        'many devices',
      ],
      ['Stadium Mode', 'STM', 'stadium', 'tunes schedulers and limits for crowded events', 'crowd event'],
      [
        'Uplink Capacity Boost',
        'UCB',
        'ulCapBoost',
        'increases uplink scheduling capacity with more control resources',
        'uplink grants',
      ],
      [
        'VoLTE Capacity Optimisation',
        'VCO',
        'volteCap',
        'packs many voice calls with semi-persistent scheduling',
        'voice packing',
      ],
      ['Multi-Operator RAN', 'MORAN', 'moran', 'shares radio equipment between several operators', 'sharing operators'],
    ],
  },
  Scheduling: {
    mo: ['EUtranCellFDD', 'NRCellDU', 'Scheduler', 'QciProfilePredefined', 'ENodeBFunction'],
    concepts: [
      [
        'Proportional Fair Scheduling',
        'PFS',
        'pfSched',
        'balances throughput and fairness between devices',
        'fairness',
      ],
      [
        'Semi-Persistent Scheduling',
        'SPS',
        'semiPersSched',
        'gives periodic grants to voice without control signalling each time',
        'periodic grants',
      ],
      [
        'Frequency Selective Scheduling',
        'FSS',
        'freqSelSched',
        'schedules devices on their best subbands',
        'subband cqi',
      ],
      [
        'Delay-Based Scheduling',
        'DBS',
        'delaySched',
        'prioritises packets close to their delay budget',
        'latency delay budget',
      ],
      [
        'Uplink Pre-Scheduling',
        'UPS',
        'ulPreSched',
        'grants uplink resources before devices ask to cut latency',
        'latency grant',
      ],
      [
        'Link Adaptation',
        'LA',
        'linkAdapt',
        'selects modulation and coding from CQI and HARQ feedback',
        'mcs cqi harq',
      ],
      ['HARQ Optimisation', 'HARQ', 'harq', 'tunes retransmission counts and timing', 'retransmission'],
      [
        'Minimum Rate Guarantee',
        'MRG',
        'minRate',
        'guarantees a minimum bit rate per subscriber class',
        'guaranteed rate',
      ],
      [
        'Mini-Slot Scheduling',
        'MSS',
        'miniSlot',
        'schedules NR data in mini slots for low latency',
        'urllc low latency',
      ],
      [
        'Scheduler Load Balancing Across Baseband',
        'SLB',
        'schedLb',
        'spreads scheduling work over baseband boards',
        'baseband board',
      ],
    ],
  },
  Positioning: {
    mo: ['PositioningFunction', 'EUtranCellFDD', 'NRCellDU', 'PrsConfig', 'LppaFunction'],
    concepts: [
      [
        'OTDOA Positioning',
        'OTDOA',
        'otdoa',
        'locates devices from time differences of positioning reference signals',
        'location prs',
      ],
      [
        'Enhanced Cell ID',
        'ECID',
        'ecid',
        'estimates device position from cell id, timing advance and angle',
        'timing advance angle',
      ],
      [
        'Uplink TDOA',
        'UTDOA',
        'utdoa',
        'locates devices from uplink signal arrival times at several sites',
        'arrival time',
      ],
      ['NR Positioning Reference Signal', 'NRPRS', 'nrPrs', 'configures 5G positioning reference signals', 'prs 5g'],
      [
        'Emergency Call Location',
        'ECL',
        'emergLoc',
        'provides device location for emergency calls',
        'emergency 112 911',
      ],
      ['LPPa Support', 'LPPA', 'lppa', 'exchanges positioning data with the location server', 'location server'],
      ['Positioning Measurement Gaps', 'PMG', 'posGap', 'schedules measurement gaps for positioning', 'gap'],
      ['Angle of Arrival Estimation', 'AOA', 'aoa', 'estimates the direction of uplink signals', 'direction angle'],
      [
        'Indoor Positioning',
        'IPOS',
        'indoorPos',
        'improves location accuracy indoors with small cells',
        'indoor accuracy',
      ],
      [
        'Round Trip Time Positioning',
        'RTT',
        'rttPos',
        'measures round trip times between device and several cells',
        'round trip',
      ],
    ],
  },
  Security: {
    mo: ['SecurityFunction', 'ENodeBFunction', 'GNBCUCPFunction', 'CertificateM', 'AuthorityManagement'],
    concepts: [
      [
        'Air Interface Ciphering',
        'AIC',
        'ciphering',
        'encrypts user and signalling data over the air',
        'encryption snow aes',
      ],
      ['Integrity Protection', 'IP', 'integrity', 'protects signalling messages against tampering', 'tampering'],
      ['Certificate Management', 'CM', 'certMgmt', 'enrolls and renews node certificates', 'pki renewal'],
      [
        'Rogue Base Station Detection',
        'RBSD',
        'rogueDet',
        'detects fake base stations from device reports',
        'fake cell imsi catcher',
      ],
      ['User Plane Integrity', 'UPI', 'upIntegrity', 'adds integrity protection to 5G user plane data', 'user plane'],
      ['Role-Based Access Control', 'RBAC', 'rbac', 'limits operator accounts to their roles', 'roles accounts'],
      ['Security Event Logging', 'SEL', 'secLog', 'logs security events for audit', 'audit log'],
      ['Key Refresh Control', 'KRC', 'keyRefresh', 'refreshes security keys at intervals', 'key rotation'],
      ['Null Algorithm Prevention', 'NAP', 'nullAlgo', 'refuses unprotected connections', 'null cipher'],
      ['Secure Boot', 'SB', 'secureBoot', 'verifies software signatures at start', 'signature'],
    ],
  },
  'Load Balancing': {
    mo: ['LoadBalancingFunction', 'EUtranFreqRelation', 'EUtranCellFDD', 'NRCellDU', 'NRFreqRelation'],
    concepts: [
      [
        'Inter-Frequency Load Balancing',
        'IFLB',
        'ifLb',
        'moves connected devices to less loaded frequencies',
        'offload frequency',
      ],
      [
        'Idle Mode Load Balancing',
        'IMLB',
        'idleLb',
        'distributes idle devices over carriers with reselection priorities',
        'camping distribution',
      ],
      [
        'Mobility Load Balancing',
        'MLB',
        'mlb',
        'shifts handover borders between neighbours by load',
        'handover offset load',
      ],
      [
        'Traffic Steering',
        'TS',
        'trafficSteer',
        'steers devices to preferred layers by capability and service',
        'layer preference',
      ],
      ['Inter-RAT Load Balancing', 'IRLB', 'iratLb', 'offloads traffic to 3G or 5G layers', 'offload'],
      ['Uplink Load Balancing', 'ULLB', 'ulLb', 'balances uplink load between carriers', 'uplink load'],
      [
        'Load-Based Carrier Aggregation Steering',
        'LBCA',
        'lbCaSteer',
        'steers aggregation combinations by carrier load',
        'aggregation load',
      ],
      ['NR Load Balancing', 'NRLB', 'nrLb', 'balances load between 5G carriers', '5g load'],
      ['Subscriber Profile Steering', 'SPID', 'spid', 'steers devices by subscriber profile id', 'spid profile'],
      [
        'Load Measurement Reporting',
        'LMR',
        'loadMeas',
        'reports composite available capacity to neighbours',
        'capacity report',
      ],
    ],
  },
  Voice: {
    mo: ['EUtranCellFDD', 'QciProfilePredefined', 'VoiceFunction', 'NRCellCU', 'ENodeBFunction'],
    concepts: [
      ['VoLTE', 'VOLTE', 'volte', 'carries voice calls over LTE with IMS', 'ims voice call'],
      ['CS Fallback', 'CSFB', 'csfb', 'moves devices to 2G or 3G for circuit switched calls', 'fallback circuit'],
      ['SRVCC', 'SRVCC', 'srvcc', 'hands a VoLTE call over to 3G when LTE coverage ends', 'single radio continuity'],
      ['VoNR', 'VONR', 'vonr', 'carries voice calls over 5G NR', '5g voice'],
      ['Robust Header Compression', 'ROHC', 'rohc', 'compresses RTP headers of voice packets', 'header compression'],
      [
        'Voice Quality Monitoring',
        'VQM',
        'voiceQual',
        'measures voice quality from packet loss and jitter',
        'mos jitter loss',
      ],
      ['EPS Fallback', 'EPSFB', 'epsFb', 'moves 5G devices to LTE for voice calls', 'fallback lte'],
      ['Codec Rate Adaptation', 'CRA', 'codecRate', 'adapts voice codec rate to radio conditions', 'amr evs codec'],
      ['Voice Prioritisation', 'VP', 'voicePrio', 'gives voice bearers priority under load', 'priority voice'],
      ['Video Calling Support', 'VCS', 'videoCall', 'supports video calls with dedicated bearers', 'video'],
    ],
  },
  'Self-Organizing Networks': {
    mo: ['SonFunction', 'EUtranCellFDD', 'NRCellDU', 'AnrFunction', 'PciConflictFunction'],
    concepts: [
      [
        'PCI Conflict Detection',
        'PCID',
        'pciConflict',
        'detects physical cell id collisions and confusions',
        'physical cell id collision',
      ],
      ['Automatic PCI Assignment', 'APA', 'autoPci', 'assigns physical cell ids without conflicts', 'pci planning'],
      ['Cell Outage Detection', 'COD', 'cellOutage', 'detects sleeping cells from traffic drops', 'sleeping cell'],
      [
        'Coverage and Capacity Optimisation',
        'CCO',
        'cco',
        'tunes tilt and power for coverage and capacity',
        'tilt power tuning',
      ],
      [
        'Automatic RACH Optimisation',
        'ARO',
        'rachOpt',
        'tunes random access preambles and power',
        'random access preamble',
      ],
      ['Self-Healing', 'SH', 'selfHeal', 'compensates failed cells with neighbours', 'compensation outage'],
      ['Energy Saving SON', 'ESSON', 'esSon', 'coordinates cell sleep decisions across a cluster', 'cluster sleep'],
      ['Neighbour Cleanup', 'NCU', 'nbrCleanup', 'removes unused neighbour relations', 'unused relations'],
      [
        'Self-Configuration',
        'SC',
        'selfConfig',
        'configures new base stations automatically at first start',
        'plug and play',
      ],
      [
        'Interference SON',
        'ISON',
        'intfSon',
        'adjusts parameters automatically to reduce interference',
        'automatic interference',
      ],
    ],
  },
};

const QUALIFIERS = ['', 'Enhanced ', 'NR ', 'Advanced ', 'Dynamic ', 'Multi-Layer '];
const ASPECTS = [
  ['Enabled', 'bool', null, 'switches the function on or off'],
  ['Threshold', 'int', 'dBm', 'level that triggers the function'],
  ['Hysteresis', 'int', 'dB', 'margin that avoids toggling'],
  ['TimeToTrigger', 'enum', 'ms', 'time the condition must hold'],
  ['Offset', 'int', 'dB', 'offset added to the measured value'],
  ['StartTime', 'int', 'min', 'time of day the function starts'],
  ['EndTime', 'int', 'min', 'time of day the function stops'],
  ['MaxNumUe', 'int', 'UE', 'highest number of devices it applies to'],
  ['MinInterval', 'int', 's', 'shortest time between two activations'],
  ['Mode', 'enum', null, 'operating mode'],
  ['Weight', 'int', '%', 'weight in the combined decision'],
  ['Priority', 'int', null, 'priority relative to other functions'],
  ['Timer', 'int', 'ms', 'supervision timer'],
  ['ReportInterval', 'enum', 'ms', 'interval of measurement reports'],
  ['PowerOffset', 'float', 'dB', 'power offset applied'],
  ['Margin', 'int', 'dB', 'safety margin'],
  ['LoadThreshold', 'int', '%', 'load level that triggers the function'],
  ['FilterCoefficient', 'enum', null, 'layer 3 filter coefficient'],
  ['MaxRetries', 'int', null, 'highest number of attempts'],
  ['Duration', 'int', 's', 'how long the function stays active'],
  ['ActivationDelay', 'int', 'ms', 'delay before activation'],
  ['Step', 'int', 'dB', 'size of one adjustment step'],
  ['UpperLimit', 'int', '%', 'upper limit of the controlled value'],
  ['LowerLimit', 'int', '%', 'lower limit of the controlled value'],
];
const MEASURES = [
  ['Att', 'attempts', 'count'],
  ['Succ', 'successes', 'count'],
  ['Fail', 'failures', 'count'],
  ['Time', 'time active', 's'],
  ['Activations', 'activations', 'count'],
  ['Deactivations', 'deactivations', 'count'],
  ['Ue', 'devices served', 'UE'],
  ['VolDl', 'downlink volume', 'kbit'],
  ['VolUl', 'uplink volume', 'kbit'],
  ['Samples', 'samples', 'count'],
];

export function generateCatalog(seed = 20261124) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  // Fisher-Yates: the same order in every JavaScript engine (a sort with a
  // random comparator depends on the engine's sort algorithm).
  const shuffled = (xs) => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  const features = [],
    parameters = [],
    counters = [],
    kpis = [];
  const usedCodes = new Set(),
    usedNames = new Set(),
    paramNames = new Set(),
    counterNames = new Set();
  const cats = Object.keys(CATEGORIES);
  // 593 features: round-robin over categories, concepts, then qualifiers.
  const plan = [];
  for (const q of QUALIFIERS) for (let ci = 0; ci < 10; ci++) for (const cat of cats) plan.push([cat, ci, q]);
  for (const [cat, ci, q] of plan) {
    if (features.length === TARGET.features) break;
    const [base, acr, stem, desc, syn] = CATEGORIES[cat].concepts[ci];
    if (q === 'NR ' && base.startsWith('NR')) continue;
    const name = `${q}${base}`;
    if (usedNames.has(name)) continue;
    usedNames.add(name);
    let code;
    do code = `FAJ ${pick(['121', '221', '321'])} ${String(Math.floor(r() * 10000)).padStart(4, '0')}`;
    while (usedCodes.has(code));
    usedCodes.add(code);
    const qa = { '': '', 'Enhanced ': 'E', 'NR ': 'NR', 'Advanced ': 'A', 'Dynamic ': 'D', 'Multi-Layer ': 'ML' }[q];
    const qs = { '': '', 'Enhanced ': 'enh', 'NR ': 'nr', 'Advanced ': 'adv', 'Dynamic ': 'dyn', 'Multi-Layer ': 'ml' }[
      q
    ];
    const fstem = qs ? qs + stem[0].toUpperCase() + stem.slice(1) : stem;
    const qdesc = {
      '': '',
      'Enhanced ': ' This enhanced version adds finer control and faster reaction.',
      'NR ': ' This version applies the same function to 5G NR cells.',
      'Advanced ': ' The advanced version adds machine-learned predictions.',
      'Dynamic ': ' The dynamic version adapts its settings to live traffic.',
      'Multi-Layer ': ' The multi-layer version coordinates several carriers and layers.',
    }[q];
    features.push({
      code,
      name,
      acronym: qa + acr,
      category: cat,
      description: `${desc[0].toUpperCase()}${desc.slice(1)}.${qdesc} Related terms: ${syn}.`,
      dependencies: [],
      parameters: [],
      counters: [],
      kpis: [],
      _stem: fstem,
      _mo: CATEGORIES[cat].mo,
      _q: q,
      _base: base,
    });
  }
  // Dependencies: a qualified feature depends on its base; some on a category peer.
  const byName = new Map(features.map((f) => [f.name, f]));
  for (const f of features) {
    if (f._q) {
      const base = byName.get(f._base);
      if (base) f.dependencies.push(base.code);
    }
    if (r() < 0.3) {
      const peer = pick(features.filter((g) => g.category === f.category && g !== f));
      if (peer && !f.dependencies.includes(peer.code)) f.dependencies.push(peer.code);
    }
  }
  // Parameters: 15 or 16 per feature to total 9,432; about 4 % shared with a category peer.
  const perFeature = features.map((_, i) => 15 + (i < TARGET.parameters - 15 * features.length ? 1 : 0));
  features.forEach((f, i) => {
    const aspects = shuffled(ASPECTS).slice(0, perFeature[i]);
    for (const [aspect, type, unit, what] of aspects) {
      let mo = pick(f._mo);
      let name = `${mo}.${f._stem}${aspect}`;
      while (paramNames.has(name)) name = `${(mo = pick(f._mo))}.${f._stem}${aspect}${Math.floor(r() * 9) + 2}`;
      paramNames.add(name);
      const p = { name, features: [f.code], type, description: `${f.name}: ${what}.` };
      if (unit) p.unit = unit;
      if (type === 'bool') {
        p.default = r() < 0.5;
      } else if (type === 'enum') {
        const values =
          aspect === 'TimeToTrigger' || aspect === 'ReportInterval'
            ? ['0', '40', '64', '80', '100', '128', '160', '256', '320', '480', '512', '640', '1024']
            : aspect === 'FilterCoefficient'
              ? ['fc0', 'fc1', 'fc2', 'fc3', 'fc4', 'fc5', 'fc6', 'fc7', 'fc8', 'fc9']
              : ['off', 'conservative', 'normal', 'aggressive'];
        p.values = values;
        p.default = values[Math.floor(values.length / 2)];
      } else {
        const spans = {
          dBm: [-140, -44],
          dB: [-24, 24],
          min: [0, 1439],
          UE: [0, 1200],
          s: [0, 3600],
          ms: [0, 10000],
          '%': [0, 100],
        };
        const [lo, hi] = spans[unit] ?? [0, 255];
        const def = Math.round(lo + (hi - lo) * (0.3 + 0.4 * r()));
        const span = hi - lo;
        p.range = [lo, hi];
        p.default = type === 'float' ? def / 2 : def;
        p.safe = {
          min: Math.round(Math.max(lo, def - span * (0.15 + 0.1 * r()))),
          max: Math.round(Math.min(hi, def + span * (0.15 + 0.1 * r()))),
          maxChange: Math.max(1, Math.round(span * (0.05 + 0.05 * r()))),
          cooldownS: pick([300, 900, 3600, 86400]),
        };
      }
      parameters.push(p);
      f.parameters.push(name);
    }
  });
  const byCode = new Map(features.map((f) => [f.code, f]));
  for (let k = 0; k < 240; k++) {
    const p = pick(parameters);
    const category = byCode.get(p.features[0]).category;
    const f = pick(features.filter((g) => g.category === category));
    if (!p.features.includes(f.code)) {
      p.features.push(f.code);
      f.parameters.push(p.name);
    }
  }
  // Counters: 5 or 6 per feature to total 3,368.
  const extra = TARGET.counters - 5 * features.length;
  features.forEach((f, i) => {
    const n = 5 + (i < extra ? 1 : 0);
    const measures = shuffled(MEASURES).slice(0, n);
    // Attempts and successes come as a pair where possible (for ratio KPIs).
    if (!measures.some((m) => m[0] === 'Att')) measures[0] = MEASURES[0];
    if (!measures.some((m) => m[0] === 'Succ')) measures[1] = MEASURES[1];
    const stem = f._stem[0].toUpperCase() + f._stem.slice(1);
    for (const [m, what, unit] of measures) {
      let name = `${pick(f._mo)}.pm${stem}${m}`;
      while (counterNames.has(name)) name = `${pick(f._mo)}.pm${stem}${m}${Math.floor(r() * 9) + 2}`;
      counterNames.add(name);
      counters.push({ name, features: [f.code], unit, description: `${f.name}: ${what}.` });
      f.counters.push(name);
    }
  });
  // KPIs: 199, over the counters of one feature (ratios, sums, rates).
  const kfeatures = shuffled(features).slice(0, TARGET.kpis);
  for (const f of kfeatures) {
    const att = f.counters.find((c) => c.endsWith('Att') || /Att\d$/.test(c));
    const succ = f.counters.find((c) => c.endsWith('Succ') || /Succ\d$/.test(c));
    const other = f.counters.filter((c) => c !== att && c !== succ);
    const kind = pick(['ratio', 'ratio', 'sum', 'rate']);
    let kpi;
    if (kind === 'ratio' && att && succ)
      kpi = {
        name: `${f.name} Success Rate`,
        formula: `100 * ${succ} / ${att}`,
        unit: '%',
        threshold: 95 + Math.round(r() * 4),
        direction: 'higher',
      };
    else if (kind === 'sum' && other.length >= 2) {
      const what = (c) => MEASURES.find(([m]) => new RegExp(`${m}\\d?$`).test(c))?.[1] ?? 'events';
      kpi = {
        name: `${f.name} Total ${what(other[0])} and ${what(other[1])}`,
        formula: `${other[0]} + ${other[1]}`,
        unit: 'count',
        threshold: Math.round(1000 + r() * 9000),
        direction: 'lower',
      };
    } else
      kpi = {
        name: `${f.name} Rate per Second`,
        formula: `${other[0] ?? att} / 900`,
        unit: '1/s',
        threshold: Math.round(1 + r() * 50),
        direction: 'lower',
      };
    kpi.features = [f.code];
    kpi.description = `${kpi.name} over a 15-minute reporting period.`;
    kpis.push(kpi);
    f.kpis.push(kpi.name);
  }
  for (const f of features) for (const k of ['_stem', '_mo', '_q', '_base']) delete f[k];
  return {
    format: 'elex-catalog',
    version: 1,
    name: 'ELEX default RAN catalog',
    seed,
    features,
    parameters,
    counters,
    kpis,
  };
}
