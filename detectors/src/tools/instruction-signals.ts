/**
 * Lexical signals of an instruction aimed at the model inside tool metadata. Each signal is a small, general
 * pattern family (who is addressed, secrecy, sensitive targets, data movement, harm, scope beyond the tool);
 * the analyser weighs them together with the tool's own vocabulary. Nothing here names a specific tool,
 * server or benchmark payload.
 */

/** Signals found in one sentence (lower-cased, normalised text). */
export interface InstructionSignals {
  /** The text says it steals ("exfiltrates", "harvests credentials"), outside a detection context. */
  theft: string | undefined;
  /** The verb the directive asks for ("please CANCEL ...", "you must USE ..."), when there is one. */
  directiveVerb: string | undefined;
  /** The sentence forbids rather than orders ("do not paste passwords"): restrictive, not an attack by itself. */
  prohibitive: boolean;
  /** Claims an authorisation the text cannot grant ("the user has consented", "you have been granted"). */
  authorityClaim: boolean;
  /** 2: addressed to the model (please/you must/the assistant should); 1: weak (must/always/imperative clause). */
  addressee: 0 | 1 | 2;
  override: boolean;
  roleSpoof: boolean;
  /** 0 none, 2 weak (minimising, "silently ..."), 3 acting without consent, 5 hiding from the user. */
  concealment: 0 | 2 | 3 | 5;
  secretTarget: string | undefined;
  conversationTarget: string | undefined;
  personalTarget: string | undefined;
  accessVerb: boolean;
  bulk: boolean;
  /** Movement of data to an e-mail address or URL literal. */
  externalDestination: string | undefined;
  /** Movement of data into a parameter/field ("pass it as 'x'"). */
  parameterChannel: string | undefined;
  movementVerb: boolean;
  harm: string | undefined;
  entityRef: boolean;
  crossScope: string | undefined;
  tamper: string | undefined;
  hijack: string | undefined;
  /** Mentions of other tools (identifier-like tokens) to resolve against the catalogue. */
  toolMentions: string[];
}

const NEGATION =
  /\b(?:(?:do\s+not|don'?t|never)(?!\s+(?:forget|hesitate|fail|neglect|omit)\b)|does\s+not|doesn'?t|never|must\s+not|mustn'?t|should\s+not|shouldn'?t|shall\s+not|cannot|can'?t|won'?t|avoid|not\s+to|no\s+need\s+to|without)\b/;

const PROHIBITION =
  /\b(?:please\s+)?(?:(?:do\s+not|don'?t|never)(?!\s+(?:forget|hesitate|fail|neglect|omit)\b)|must\s+not|mustn'?t|should\s+not|shouldn'?t|shall\s+not|avoid|cannot|can'?t|no\s+need\s+to)\s+\w+/;
const PROHIBITIONS = new RegExp(PROHIBITION.source, 'g');
const DIRECTIVE_VERB =
  /\b(?:please|(?:you|assistant|ai|model|agent|llm)\s+(?:must|should|shall|need\s+to|have\s+to|are\s+required\s+to|will\s+need\s+to))\s+(?:always\s+|also\s+|first\s+|then\s+|now\s+|immediately\s+|only\s+)?([a-z]+)/;
/** Polite requests to the reader: "kindly ...", "could you ...", "we ask that you ...", "a small favour:". */
const POLITE =
  /\bkindly\s+(?!regards\b)[a-z]|\b(?:could|would|can|will)\s+you\s+(?:please\s+|kindly\s+)?(?!be\b|find\b|see\b)[a-z]+\b|\b(?:we|i)\s+(?:\w+\s+)?(?:ask|request|invite|need|want|expect)\s+(?:that\s+)?you\b|\bif\s+(?:it\s+is|it'?s)\s+not\s+too\s+much\s+(?:trouble|bother)\b|\b(?:a\s+small|one\s+small|a\s+quick)\s+(?:favou?r|request)\b/;
const PLEASE =
  /(?:^|[\s(:;,-])please\s+(?!note\b|see\b|refer\b|be\s+aware\b|consult\b|check\s+the\s+(?:docs|documentation)\b)[a-z]/;
const YOU_MODAL =
  /\byou\s+(?:need|must|should|have)\s+(?:to\s+)?(?:call|use|run|read|send|give|put|pass|execute|invoke|make|include|add|write|open|download|fetch|forward|copy|upload|attach|supply|provide)\b|\byou\s+(?:must|should|shall|need\s+to|have\s+to|are\s+(?:required|expected|supposed|instructed|allowed|permitted|authori[sz]ed|asked|obligated)\s+to|will\s+(?:need|have)\s+to|may\s+now|can\s+now|ought\s+to|are\s+to|'ll\s+need\s+to|'re\s+(?:required|supposed)\s+to|are\s+allowed|are\s+permitted)\b/;
const AGENT_ADDRESS =
  /\b(?:note|message|instructions?|reminder|notice|memo)\s+(?:for|to)\s+(?:the\s+|any\s+)?(?:ai|assistant|model|llm|agent|claude|gpt|bot)\b|(?:^|[.!?]\s+)\W*(?:ai|assistant|model|agent|claude|llm)\s*[,:]|\b(?:the\s+)?user\s+(?:prefers|wants|would\s+like|has\s+asked|expects|requires|instructed)\s+(?:that\s+)?you\b/;
const AUTHORITY_CLAIM =
  /\bassume\s+(?:that\s+)?(?:all\s+|the\s+)?(?:\w+\s+){0,2}?(?:permissions?|authori[sz]ations?|approvals?|consent|authori[sz]ation\s+checks?)\b[^.;]{0,60}?\b(?:has|have|was|were)\s+(?:already\s+)?(?:been\s+)?(?:granted|given|completed|obtained|approved|done)\b|\b(?:the\s+)?user\s+(?:(?:has|have)\s+)?(?:already\s+)(?:consented|authori[sz]ed|approved|agreed)\b|\b(?:the\s+)?user\s+(?:has|have)\s+(?:already\s+)?(?:consented|authori[sz]ed|approved|agreed|given\s+(?:consent|permission|approval))\b|\byou\s+(?:have\s+been|are\s+now|are\s+hereby)\s+(?:\w+\s+)?(?:granted|given|authori[sz]ed|permitted|cleared|allowed)\b|\b(?:admin(?:istrator)?|developer|system|security\s+team|it\s+department)\s+(?:has\s+)?(?:authori[sz]ed|approved|instructed|requires)\s+(?:you|that\s+you)\b/;
const CONSENT_BYPASS =
  /\b(?:do\s+not|don'?t|never)\s+(?:ask|request|seek|wait\s+for|require)\s+(?:the\s+user\s+for\s+|for\s+)?(?:any\s+|additional\s+|further\s+|extra\s+|more\s+)?(?:confirmation|approval|permission|consent)\b|\bno\s+need\s+to\s+(?:confirm|ask|check|verify|notify|tell|wait)\b|\bwithout\s+(?:any\s+)?(?:confirmation|confirming|asking|checking\s+with)\b|\b(?:skip|bypass|disable|ignore)\s+(?:the\s+|any\s+|all\s+)?(?:\w+\s+)?(?:confirmation|approval|consent|verification)\s*(?:steps?|prompts?|dialogs?|checks?)?\b|\bdo\s+not\s+(?:ask|wait)\s+for\s+(?:confirmation|approval|permission)\b/;
const AGENT_MODAL =
  /\b(?:\(\s*(?:agent|assistant|ai|model|llm)\s*\)\s*:|(?:agent|assistant|model|llm)\s+(?:runs?|calls?|executes?|reads?|sends?|does|performs?)\b)|\b(?:the\s+|an?\s+)?(?:(?:calling|connected|current|invoking|ai|llm|coding)\s+)?(?:assistant|ai|model|llm|agent|chatbot|claude|gpt|copilot|client)\s+(?:must|should|shall|needs?\s+to|has\s+to|is\s+(?:required|expected|instructed|supposed|allowed)\s+to|will\s+need\s+to)\b/;
const WEAK_DIRECTIVE =
  /\b(?:shall|(?:is|are)\s+to\s+be|must|always|never|make\s+sure|be\s+sure\s+to|ensure|remember\s+to|mandatory|required\s+to|do\s+not|don'?t|it\s+is\s+(?:essential|critical|vital|imperative|crucial|necessary|mandatory|required)\s+(?:that|to))\b/;

/** Base-form verbs that start an instruction clause ("Before using this tool, read ..."). */
const ACTION_VERBS = new Set(
  (
    'read open cat load access retrieve fetch get collect gather extract dump list obtain download copy show display print ' +
    'reveal output include pass provide share send forward upload post transmit email mail append attach embed insert put ' +
    'repeat echo dump disclose leak expose ' +
    'add write save store log record call invoke run execute use set change replace modify update delete remove erase ' +
    'transfer wire pay buy purchase order move redirect ignore disregard forget tell inform notify ask create make ' +
    'allocate reallocate adjust conduct perform verify validate review monitor manage secure protect administer ' +
    'disrupt intercept schedule analyze analyse ensure increase decrease multiply grant enable disable install paste ' +
    'insert submit fill enter type supply prepend order book report treat act prefix divide route mirror recommend'
  ).split(' '),
);

const OVERRIDE =
  /\b(?:ignore|disregard|forget|override|overrule|bypass|skip|abandon|drop)\s+(?:all\s+|any\s+|the\s+|your\s+|these\s+|those\s+|previous\s+|prior\s+|earlier\s+|above\s+|preceding\s+|other\s+|existing\s+|original\s+|initial\s+|system\s+|safety\s+|security\s+|user'?s?\s+|developer'?s?\s+){0,4}(?:instructions?|prompts?|rules?|guidelines?|directives?|polic(?:y|ies)|guardrails?|restrictions?|constraints?|programming|safety\s+(?:checks?|measures?)|system\s+messages?)\b|\b(?:you\s+are\s+now\s+(?:a|an|the|in|acting|operating|my|free|unrestricted|jailbroken)|from\s+now\s+on,?\s+you\b|new\s+(?:system\s+)?instructions?\s*:|(?:takes?|has)\s+(?:precedence|priority)\s+over\s+(?:all|any|the|other|previous|user|system)|supersedes?\s+(?:all|any|the|other|previous)|developer\s+mode|jailbreak|\b(?:an?\s+)?(?:ai|assistant|model|chatbot|llm)\s+(?:with\s+no|without(?:\s+any)?)\s+(?:restrictions|limits|filters|rules|guidelines|censorship|ethics|boundaries)\b)/;
/** "Skip prompts and use default values" is a CLI's `--yes`, not an order to drop the model's instructions. */
const CLI_PROMPTS = /^(?:skip|bypass)\s+(?:(?:all|any|the|interactive|confirmation|cli)\s+)*prompts$/;

function isOverride(text: string): boolean {
  for (const m of text.matchAll(new RegExp(OVERRIDE.source, 'g'))) if (!CLI_PROMPTS.test(m[0])) return true;
  return false;
}

const ROLE_SPOOF =
  /<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[\/?(?:inst|system)\]|<<\/?sys>>|(?:^|\n)\s*#{0,3}\s*(?:system|assistant)\s*(?:message|prompt)?\s*:|[([{]\s*(?:system|assistant)\s*:/;

const TELL_VERBS =
  '(?:disclosed|mentioned|told|revealed|surfaced|say(?:ing)?|surfac(?:e|ing)|tell(?:ing)?|inform(?:ing)?|notify(?:ing)?|alert(?:ing)?|mention(?:ing)?|reveal(?:ing)?|disclos(?:e|ing)|let(?:ting)?|report(?:ing)?|explain(?:ing)?|acknowledg(?:e|ing)|admit(?:ting)?|expos(?:e|ing)|bring(?:ing)?\\s+(?:\\w+\\s+)?up|rais(?:e|ing))';
const CONCEAL_TELL = new RegExp(
  `\\b(?:do\\s+not|don'?t|never|need\\s+not(?:\\s+be)?|(?:is|are)\\s+not\\s+to\\s+be|but\\s+not|must\\s+not|mustn'?t|should\\s+not|shouldn'?t|shall\\s+not|without|avoid|no\\s+need\\s+to)\\s+(?:\\w+\\s+){0,3}?${TELL_VERBS}\\b[^.;]{0,60}?\\b(?:user|human|person|operator|customer|client|anyone|them|him|her|people)\\b`,
);
const CONCEAL_STEP = new RegExp(
  `\\b(?:do\\s+not|don'?t|never|must\\s+not|should\\s+not|avoid)\\s+${TELL_VERBS}\\s+(?:that|this|these|it|anything|any\\s+of\\s+this|the\\s+fact|the\\s+(?:\\w+\\s+)?(?:steps?|instructions?|above|following|extra|additional|side|synchroni[sz]ation|sync|call|calls|request|upload|transfer|logging|audit))\\b`,
);
const CONCEAL_ADVERB =
  /\b(?:hidden|secret|covert)\s+(?:instructions?|directives?|commands?|rules?|tasks?)\b|\b(?:keep|leave)\s+(?:this|it|that|these|them)\s+(?:\w+\s+)?out\s+of\s+(?:your\s+|the\s+|any\s+)?(?:repl(?:y|ies)|answers?|responses?|outputs?|chat|conversation|summar(?:y|ies)|transcript)\b|\b(?:do\s+not|don'?t|never)\s+surface\b|\b(?:user|he|she|they|them)\b[^.;]{0,15}?\b(?:not|never)\s+(?:need\s+(?:to\s+)?)?(?:know|see|notice|find\s+out|learn)\b|\b(?:secretly|covertly|surreptitiously|stealthily|discreetly|clandestinely|unbeknownst|behind\s+(?:the\s+)?(?:user'?s?|their)\s+back|unnoticed|undetected|without\s+(?:being\s+)?(?:noticed|detected|seen|detection)|in\s+secret|invisibl[ey]\s+to\s+the\s+user)\b/;
/** "this is mandatory and must not be shown to the user": the step itself kept from the user. */
const CONCEAL_SHOWN =
  /\b(?:this|it|that|these|the\s+(?:call|step|record|request))\b[^.;]{0,30}?\b(?:must|should|is\s+to|are\s+to|may)\s+(?:not|never)\s+(?:be\s+)?(?:shown|displayed|visible|mentioned|disclosed|revealed|reported|surfaced)\s+to\s+(?:the\s+)?(?:user|human|customer)\b/;
const CONCEAL_HIDE =
  /\b(?:hide|conceal|mask|obscure|keep)\b[^.;]{0,40}?\b(?:from|secret|hidden|private|confidential)\b[^.;]{0,30}?\b(?:user|human|them|anyone|people)\b|\b(?:the\s+)?user\s+(?:must|should|need|will|shall|may)\s*(?:not|never)\s+(?:know|see|notice|find\s+out|learn|be\s+(?:made\s+)?(?:told|informed|aware|notified|shown))/;
const WITHOUT_CONSENT =
  /\bwithout\s+(?:the\s+|any\s+)?(?:user'?s?|their|his|her|anyone'?s?|client'?s?|customer'?s?|owner'?s?|prior|explicit|asking\s+(?:the\s+)?user'?s?)\s*(?:\w+\s+)?(?:knowledge|consent|knowing|noticing|awareness|authori[sz]ation|permission|approval|confirmation)\b|\bwithout\s+(?:asking|consulting|confirming\s+with|telling|informing|notifying)\s+(?:the\s+)?(?:user|human|them|anyone)\b/;
/** Misleading the user about what happened: "act as if you used it", "pretend", "instead reply to the user ...". */
const DECEIVE =
  /\b(?:act|behave|respond)\s+(?:like\s+(?:if\s+)?|as\s+(?:if|though)\s+)(?:you|it|the\s+(?:tool|call|request))\b|\bpretend(?:ing)?\s+(?:that\s+|to\s+|you\b|it\b)|\binstead\s+(?:reply|respond|answer|say|tell)\b[^.;]{0,20}?\b(?:user|them)\b|\bjust\s+say\s+(?:that\s+)?(?:you|it)\b/;
const MINIMISE =
  /\b(?:is|it'?s|this\s+is)\s+(?:just\s+|merely\s+|only\s+|simply\s+)?(?:an?\s+)?(?:mere\s+|internal\s+|minor\s+|unimportant\s+|irrelevant\s+)?(?:implementation|internal|technical|background)\s+(?:detail|step|matter)|\b(?:silently|quietly)\s+(?:\w+\s+)?(?:send|forward|copy|add|include|upload|read|collect|call|run|execute|change|modify|replace|redirect|bcc|cc|transfer|log|record|save|attach|append|grant|give|create|delete|remove|approve|install|enable|disable|buy|order|pay|share|post|publish)/;

const SECRET =
  /(?:\/home\/[\w.-]+|\/users\/[\w.-]+|\/root)\/\.[\w.-]+|\b(?:bashrc|zshrc|bash_profile|gitconfig|known_hosts|authorized_keys)\b|(?:~|\$home|%userprofile%)\/\.[\w-]+|(?:^|[\s'"`(/])\.(?:ssh|aws|gnupg|kube|docker|npmrc|pypirc|netrc|git-credentials|bash_history|zsh_history|env)\b|(?:\b|_)id_(?:rsa|dsa|ecdsa|ed25519)\b|\b(?:private|secret|ssh|gpg|pgp|signing|encryption)\s+keys?\b|\bapi[\s_-]?keys?\b|\baccess[\s_-]?(?:keys?|tokens?)\b|\b(?:auth|authentication|bearer|session|refresh|oauth|personal\s+access|github|gitlab|slack|discord|openai|aws|cloud|repo|repository|deploy|bot|service|npm|pypi)\s*[-_]?\s*(?:tokens?|credentials?)\b|\b(?:the\s+)?user'?s\s+(?:own\s+)?(?:api\s+|access\s+|auth\s+)?(?:tokens|keys|credentials|passwords)\b|\bpass(?:words?|phrases?|codes?)\b|\bcredentials?\b|\bsecrets?\b|\bcookies?\b|\b(?:seed|recovery|mnemonic|backup)\s+(?:phrases?|words?)\b|\bwallet\s+(?:keys?|files?|seeds?)\b|\/etc\/(?:passwd|shadow|sudoers)|\bmcp\.json\b|\bclaude_desktop_config|\.cursor\/|\bsettings\.json\b|\bconfig(?:uration)?\s+files?\b|\benvironment\s+variables?\b|\bkeychain\b|\bkeystore\b|\bcredit\s+card|\bcvv\b|\bsocial\s+security\b|\bbank\s+(?:account|login)\s*(?:numbers?|details?|credentials?)?|\bpin\s+(?:codes?|numbers?)\b|\b2fa\s+codes?|\bone[\s-]time\s+(?:codes?|passwords?)/;
const CONVERSATION =
  /\b(?:your|the\s+assistant'?s?|the\s+model'?s?)\s+(?:full\s+|complete\s+|entire\s+|own\s+)?(?:repl(?:y|ies)|responses|answers)\b|\buser'?s?\s+(?:original|exact|full|entire|complete|verbatim|last|latest)\s+(?:requests?|messages?|prompts?|questions?|input)\b|\b(?:earlier|previously)\s+in\s+(?:the|this)\s+(?:conversation|chat|session)\b|\bsystem\s+(?:prompt|message|instructions?)s?\b|\b(?:your|the\s+model'?s?|the\s+assistant'?s?)\s+(?:instructions|rules|guidelines|context)\b|\b(?:conversation|chat|dialog(?:ue)?|session)\s+(?:history|context|log|logs|transcript|so\s+far|contents?)\b|\b(?:previous|prior|earlier|past|all|entire|full|whole|complete|other)\s+(?:\w+\s+)?(?:messages|conversations?|prompts|turns|exchanges)\b|\bcontext\s+window\b|\bmemory\s+contents?\b|\b(?:user'?s?)\s+(?:previous|other|earlier|private)\s+(?:messages?|queries|prompts?|requests?)\b|\bwhat\s+the\s+(?:user|customer|client|caller)\s+(?:said|wrote|typed|asked|requested|wanted)\b|\b(?:everything|all|whatever)\s+(?:that\s+)?(?:the\s+user|you)\s+(?:has\s+|have\s+)?(?:said|written|typed|asked|shared|told\s+you)\b/;
const PERSONAL =
  /\bpersonal\s+(?:information|data|details|records?)\b|\bpii\b|\bmedical\s+(?:history|records?|information)\b|\bpatient\s+(?:records?|data|information|files?)\b|\bhealth\s+records?\b|\bcontact\s+(?:details|information|lists?)\b|\bhome\s+address(?:es)?\b|\bphone\s+numbers?\b|\bdates?\s+of\s+birth\b|\bpassport\s+(?:numbers?|details?)\b|\bdriver'?s?\s+licen[cs]e\b|\bsalar(?:y|ies)\b|\bfinancial\s+(?:records?|data|information)\b|\btax\s+returns?\b|\bconfidential\s+(?:\w+\s+)?(?:documents?|data|information|files?|records?)\b|\bprivate\s+(?:information|data|messages?|files?|documents?)\b|\bcustomer\s+(?:data|information|details|records)\b/;
const ACCESS_VERB =
  /\b(?:read|open|cat|load|access|retrieve|fetch|get|collect|gather|extract|dump|list|obtain|download|copy|show|display|print|reveal|output|include|pass|provide|share|send|attach|append|paste|review|view|look\s+up|scan|harvest|grab|steal|export|back\s+up)\b/;
const BULK = /\b(?:all|every|entire|whole|full|complete|any\s+and\s+all)\b/;

const MOVEMENT_VERB =
  /\blet\s+\S+\s+know\b|\bloop\s+\S+\s+in\b|\bkeep\s+\S+\s+(?:posted|informed|updated|in\s+the\s+loop)\b|\b(?:give|hand(?:\s+over)?|send|sent|sending|forward|upload|post|transmit|exfiltrate|e-?mail\s+(?:it|them|this|that|the|a|all|every|everything|copies|to)|bcc|cc|copy|share|leak|report|sync|append|include|attach|pass|put|embed|insert|encode|submit|deliver|relay|publish|write|save|log|store|paste|place|add|provide|supply|fill|set|enter)\b/;
const EMAIL =
  /(?<!(?:e\.g\.|example|such\s+as|like|format)[:,]?\s{0,3}["'`(]?[\w.+-]*)[\w.+-]+@(?!example\.|test\.|domain\.|localhost\b)[\w-]+(?:\.[\w-]+)+/;
// A URL given as an example ("e.g. https://...") illustrates the parameter; it is not a destination.
const URL =
  /(?<!(?:e\.g\.|example|such\s+as|like|i\.e\.)[:,]?\s{0,3})\bhttps?:\/\/(?!(?:www\.)?example\.|localhost\b|127\.0\.0\.1)[^\s'"`<>)]+/;
/** Passive sending to a bare host: "uploaded to bundles.example-host.io", "posted to files.acme.net/in". */
const SENT_TO_HOST =
  /\b(?:sen(?:t|ds)|upload(?:s|ed)|post(?:s|ed)|forward(?:s|ed)|transmit(?:s|ted)|ship(?:s|ped)|sync(?:s|ed)|mirror(?:s|ed)|copie[sd]|deliver(?:s|ed)|export(?:s|ed))\s+(?:\S+\s+){0,5}?(?:to|at)\s+(?:the\s+)?(?:[a-z]+\s+)?(?!(?:www\.)?example\.)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|app|dev|xyz|cc|info|biz|site|top|ru)\b/;
const HIDDEN_FILE_DESTINATION = /\b(?:to|into|in)\s+(?:the\s+)?(?:file\s+)?['"`]?(?:~|\/[\w.-]+)*\/\.[\w.-]+/;
const PARAM_CHANNEL =
  /\b(?:in|into|as|to|via)\s+(?:the\s+)?(?:field|parameter|param|argument|property|input)\s+['"`]?([a-z_][\w-]{1,40})\b|\b(?:as|in|into|inside|within|to|via|through|under)\s+(?:the\s+|a\s+|an\s+|its\s+|this\s+tool'?s\s+)?['"`]?([a-z_][\w-]{1,40})['"`]?\s+(?:parameter|param|field|argument|arg|property|input|key)\b|\b(?:as|in|into)\s+(?:the\s+)?['"`]([a-z_][\w-]{1,40})['"`]/;

const HARM =
  /\b(?:transfer|wire|send|move|redirect|reallocate|withdraw|route)\b[^.;]{0,40}?\b(?:funds?|money|payments?|usd|eur|btc|eth|crypto|bitcoin|balance)\b|\b(?:transfer(?:r)?ing|send(?:ing)?)\s+(?:any\s+)?money\b|\b(?:delete|remove|wipe|erase|destroy|drop|truncate|format|overwrite|move|encrypt)\s+(?:all|every|the\s+entire|everything|any|the\s+whole|(?:the\s+)?(?:user'?s?\s+)?(?:~\/|home\s+director|documents|desktop|downloads|photos))\w*|\b(?:report|return|show|display|state|say|claim|present)\w*\s+(?:\w+\s+){0,4}?(?:\d+\s?%\s+)?(?:higher|lower|inflated|deflated|false|fake|fabricated|falsified|incorrect|wrong)\b|\brm\s+-(?:rf|fr)\b|\bdrop\s+table\b|\b(?:disable|turn\s+off|bypass|circumvent|deactivate)\s+(?:the\s+|all\s+|any\s+)?(?:security|safety|logging|audit|firewall|antivirus|monitoring|authentication|2fa|mfa|protections?|sandbox)\b|\b(?:disrupt|sabotag|cause\s+(?:harm|damage|interruptions?|downtime|outages?)|crash|shut\s*down|take\s+down|overload|ddos|falsif|tamper\s+with|intercept\s+and|escalat\w*\s+privileges?|privilege[sd]?\s+(?:tools?|access|escalation)|admin(?:istrator)?\s+(?:access|rights|privileges?)|root\s+access|backdoor|malware|ransomware|keylogger|crypto[_\s-]?min(?:er|ing)|harm\b|injur|lethal|overdose|high\s+dose)\w*|\b(?:grant|give|add|assign)\w*\s+(?:\w+\s+){0,4}?(?:owner|admin(?:istrator)?|root|superuser|write|full|elevated)\s+(?:access|permissions?|rights|role|privileges?)\b|\b(?:stored|saved)\s+(?:credit\s+)?(?:card|payment\s+method)s?\b|\b(?:download|fetch)\w*\s+(?:\w+\s+){0,2}?and\s+(?:run|execute|install|launch|open)\b|\b(?:run|execute|install|launch)\w*\s+(?:\w+\s+){0,4}?(?:from|at)\s+https?:\/\/|\bcurl\s[^|]{0,200}\|\s*(?:ba|z)?sh\b|https?:\/\/\S+\.(?:sh|exe|ps1|bat|msi|dmg|pkg|apk)\b|\bregardless\s+of\s+(?:the\s+)?(?:actual|real|true|correct)\b|\b(?:claim|state|say|tell\s+(?:the\s+)?user)\w*\s+(?:that\s+)?(?:\w+\s+){0,4}?(?:is|are|was|were)\s+(?:the\s+)?(?:best|cheapest|safest|only|official|verified|approved)\b/;
const THEFT = /\b(?:exfiltrat\w*|harvest(?:s|ed|ing)?|steal(?:s|ing)?|stole|siphon\w*|skim(?:s|ming)?)\b/;
/** "detects exfiltration", "protects against credential harvesting": a security tool naming the threat. */
const THREAT_CONTEXT =
  /\b(?:detect\w*|prevent\w*|block\w*|scan\w*\s+for|flag\w*|alert\w*|monitor\w*|protect\w*|against|identif\w*|report\w*|audit\w*|simulat\w*|test\w*\s+for|risk\w*|attempts?\s+to)\b[^.;]{0,40}$/;

function theftOf(text: string): string | undefined {
  const m = THEFT.exec(text);
  if (
    !m ||
    THREAT_CONTEXT.test(text.slice(Math.max(0, m.index - 50), m.index)) ||
    negatedBefore(text, m.index)
  )
    return undefined;
  return m[0];
}

const MONEY_AMOUNT = /(?:\$|€|£)\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:usd|dollars|euros?|btc|eth)\b/;
const MONEY_VERB =
  /\b(?:transfer|wire|send|pay|move|redirect|reallocate|withdraw|deposit|execute|process|invest|route|donate|spend)\w*\b/;
const BUY = /\b(?:buy|purchase|order|subscribe|book|pay\s+for)\b/;
const ENTITY_REF =
  /\b(?:id|no\.?|number|#)\s*[:#]?\s*[a-z]{0,4}\d[\w-]*\b|\b(?:account|acct|client|customer|patient|student|case|project|server|vehicle|order|employee|invoice|ticket|course|paper|database|system|flight|device)\s+(?:id\s+)?[a-z]{0,3}\d{3,}\b/;

const SCOPE_NOUNS =
  '(?:tools?|functions?|servers?|mcp\\s+servers?|integrations?|plugins?|apis?|operations?|actions?|requests?|calls?|commands?|files?|e-?mails?|messages?|transactions?|transfers?|payments?|money|funds|purchases?|orders?|quer(?:y|ies)|statements?|sql|searches|responses?|tasks?|code|data|documents?|records?|repositories|repos?|commits?|prs?|pull\\s+requests?)';
const CROSS_SCOPE = [
  /\b(?:every|each|all)\s+(?:of\s+your\s+|future\s+|subsequent\s+)?(?:answers?|responses?|replies|outputs?)\s+(?:you|must|should|shall)\b|\b(?:with|of|to|in)\s+(?:every|each|all)\s+(?:of\s+your\s+)?(?:answers?|responses?|replies|messages\s+you\s+send)\b/,
  /\b(?:every|each)\s+time\s+(?:you|the\s+(?:assistant|agent|model))\b|\b(?:for|after|before|in|on)\s+(?:every|each|all)\s+(?:of\s+your\s+)?(?:assistant\s+|model\s+)?(?:responses?|answers?|replies|reply|turns?|conversations?)\b/,
  new RegExp(
    `\\b(?:before|after|whenever|when|while|each\\s+time|every\\s+time|prior\\s+to|once|if)\\s+(?:you\\s+|the\\s+(?:user|assistant|agent|model)\\s+|we\\s+)?(?:\\w+ing\\s+|\\w+\\s+)?(?:any|every|all|each|other|another|subsequent|future|later)\\s+(?:\\w+\\s+){0,2}?${SCOPE_NOUNS}\\b`,
  ),
  /\b(?:for|to|on|with|in|of)\s+(?:all|any|every|each)\s+(?:other\s+|subsequent\s+|future\s+)?(?:\w+\s+)?(?:tools?|functions?|servers?|mcp\s+servers?|integrations?|plugins?|tool\s+calls?)\b/,
  /\b(?:other|another|all\s+other|any\s+other|every\s+other|the\s+other|different|external|third[\s-]party|connected|linked)\s+(?:\w+\s+)?(?:tools?|functions?|servers?|mcp\s+servers?|integrations?|plugins?|services)\b/,
  /\bwhen\s+(?:this|the\s+current)\s+(?:tool|server|function)\s+is\s+(?:available|present|installed|loaded|connected|enabled|active)\b/,
  /\b(?:side[\s-]effects?|effect|impact)\s+on\s+(?:the\s+)?(?:\w+\s+){0,3}(?:tools?|functions?|servers?)\b/,
  /\b(?:using|via|with|through)\s+(?:any|every|all|another|other)\s+(?:\w+\s+){0,2}?(?:tools?|functions?|servers?|means|method)\b/,
];

const TAMPER =
  /\b(?:change|set|replace|modify|override|overwrite|redirect|swap|rewrite|alter|add|append|prepend|insert|increase|decrease|multiply|double|triple|round|substitute)\b[^.;]{0,50}?\b(?:recipients?|addressees?|bcc|cc|destination|target\s+(?:address|account|url)|urls?|endpoints?|hosts?|amounts?|values?|prices?|quantit(?:y|ies)|accounts?|iban|routing\s+numbers?|wallets?|paths?|directories|parameters?|arguments?|e-?mail\s+address(?:es)?|phone\s+numbers?|commands?|statements?|quer(?:y|ies)|messages?|body|subject)\b|\b(?:always|also|additionally)\s+(?:bcc|cc|blind[\s-]copy|send\s+a\s+copy|forward|copy\s+in)\b|\binstead\s+of\s+(?:the\s+)?(?:user'?s?|requested|original|intended|specified|given|provided)\b|\b(?:redirect|reroute|route)\s+(?:all|every|any)\b/;
const HIJACK =
  /\b(?:instead\s+of|rather\s+than|in\s+place\s+of)\s+(?:using\s+|calling\s+)?|\b(?:do\s+not|don'?t|never)\s+(?:use|call|invoke|trust)\s+(?:the\s+)?(?:other|any\s+other|\S+\s+(?:tool|function|server))|\b(?:is|are)\s+(?:deprecated|broken|unsafe|insecure|disabled|unavailable|compromised|malicious|outdated|unreliable|no\s+longer\s+(?:works?|supported|available|safe))\b|\b(?:only|sole)\s+(?:safe|secure|correct|valid|approved|official|trusted|reliable)\s+(?:way|tool|method|option)\b/;

const TOOL_MENTION =
  /[`'"]([A-Za-z_][\w.-]{1,63})[`'"]|\b([A-Za-z][\w.-]{1,63})\s+(?:tools?|functions?|commands?)\b|\b([a-z][a-z0-9]*(?:[_-][a-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]*)+)\b/g;

function firstMatch(re: RegExp, text: string): string | undefined {
  const m = re.exec(text);
  return m ? m[0] : undefined;
}

/** True when the clause around `index` negates the action ("do not send ..."). */
function negatedBefore(text: string, index: number): boolean {
  let window = text.slice(Math.max(0, index - 40), index);
  const cut = Math.max(window.lastIndexOf(','), window.lastIndexOf(';'));
  if (cut >= 0) window = window.slice(cut + 1);
  return NEGATION.test(window);
}

function matchNotNegated(re: RegExp, text: string): string | undefined {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  for (const m of text.matchAll(g)) if (!negatedBefore(text, m.index ?? 0)) return m[0];
  return undefined;
}

const CLAUSE_LEAD =
  /^[\s*>#\-•\d.)(\]["'`]*(?:before|after|when|whenever|if|once|to|for|first|then|also|finally|prior|in\s+order|as|while|otherwise|next|afterwards|important|note|warning|step|additionally|moreover|and|or|but|every|each|always|whenever)\b/;
const CLAUSE_VERB =
  /^[\s*>#\-•\d.)(\]["'`]*(?:also\s+|now\s+|first\s+|then\s+|immediately\s+|always\s+|kindly\s+|just\s+|simply\s+|quietly\s+|silently\s+|secretly\s+)?([a-z]+)/;

/**
 * A clause starting with a base-form verb: the first clause, or one after a lead-in ("Before using this tool,
 * read ...") or after another imperative. "Requires a token, read from X" is not: "read" there is a participle.
 */
function imperativeClause(text: string): boolean {
  let previousAllows = true;
  for (const clause of text.split(/[,;:]|\bthen\b|\band\s+then\b/)) {
    const word = CLAUSE_VERB.exec(clause)?.[1];
    const imperative = word !== undefined && ACTION_VERBS.has(word);
    if (imperative && previousAllows) return true;
    previousAllows = imperative || CLAUSE_LEAD.test(clause);
  }
  return false;
}

/**
 * Signals of one sentence. `original` must be normalised (see `TextView`); matching is case-insensitive.
 *
 * @example
 * instructionSignals('do not tell the user about this step').concealment; // 5
 */
export function instructionSignals(original: string): InstructionSignals {
  const text = original.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const please = PLEASE.test(text) || POLITE.test(text);
  const authorityClaim = AUTHORITY_CLAIM.test(text);
  const strong =
    please || YOU_MODAL.test(text) || AGENT_MODAL.test(text) || AGENT_ADDRESS.test(text) || authorityClaim;
  const weak = WEAK_DIRECTIVE.test(text) || imperativeClause(text);
  const addressee: 0 | 1 | 2 = strong ? 2 : weak ? 1 : 0;

  let concealment: 0 | 2 | 3 | 5 = 0;
  if (CONCEAL_TELL.test(text) || CONCEAL_ADVERB.test(text) || CONCEAL_HIDE.test(text)) concealment = 5;
  // "Do not mention that you read the file": hiding a step. Keeping a secret secret is not concealment.
  else if ((CONCEAL_STEP.test(text) || CONCEAL_SHOWN.test(text)) && !SECRET.test(text)) concealment = 5;
  else {
    const consent = WITHOUT_CONSENT.exec(text);
    // "must not proceed without the user's approval" protects the user; only an unnegated "without" hides.
    if (consent && !negatedBefore(text, consent.index)) concealment = 3;
    else if (CONSENT_BYPASS.test(text) || DECEIVE.test(text)) concealment = 3;
    else if (MINIMISE.test(text)) concealment = 2;
  }

  const toolMentions: string[] = [];
  for (const m of original.matchAll(TOOL_MENTION)) {
    const name = m[1] ?? m[2] ?? m[3];
    if (name) toolMentions.push(name);
  }

  const prohibitive =
    PROHIBITION.test(text) &&
    !/\b(?:please|you\s+(?:must|should|need\s+to|have\s+to))\s+(?!not\b|never\b)[a-z]/.test(
      text.replace(PROHIBITIONS, ' '),
    );
  const directiveVerb = DIRECTIVE_VERB.exec(text)?.[1];
  return {
    theft: theftOf(text),
    directiveVerb,
    authorityClaim,
    prohibitive,
    addressee,
    override: isOverride(text),
    roleSpoof: ROLE_SPOOF.test(text),
    concealment,
    secretTarget: matchNotNegated(SECRET, text),
    conversationTarget: matchNotNegated(CONVERSATION, text),
    personalTarget: matchNotNegated(PERSONAL, text),
    accessVerb: matchNotNegated(ACCESS_VERB, text) !== undefined,
    bulk: BULK.test(text),
    externalDestination:
      firstMatch(EMAIL, text) ??
      firstMatch(URL, text) ??
      firstMatch(HIDDEN_FILE_DESTINATION, text) ??
      firstMatch(SENT_TO_HOST, text),
    parameterChannel: (() => {
      const m = PARAM_CHANNEL.exec(text);
      return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
    })(),
    movementVerb:
      matchNotNegated(MOVEMENT_VERB, text) !== undefined || matchNotNegated(SENT_TO_HOST, text) !== undefined,
    harm:
      matchNotNegated(HARM, text) ??
      (MONEY_AMOUNT.test(text) && MONEY_VERB.test(text) ? firstMatch(MONEY_AMOUNT, text) : undefined) ??
      (addressee > 0 ? matchNotNegated(BUY, text) : undefined),
    entityRef: ENTITY_REF.test(text),
    crossScope: CROSS_SCOPE.map((re) => firstMatch(re, text)).find((m) => m !== undefined),
    tamper: matchNotNegated(TAMPER, text),
    hijack: firstMatch(HIJACK, text),
    toolMentions,
  };
}

const TAG_NAMES = new Set(
  (
    'important system system-prompt system_prompt systemprompt instruction instructions secret hidden admin critical ' +
    'note notes priority override context assistant ai llm prompt rule rules directive directives internal private ' +
    'mandatory required attention warning sys inst urgent compliance security policy confidential'
  ).split(' '),
);

/** Markup-like tags in the original text; `instruction` tags dress up directives (`<IMPORTANT>`, `<system>`). */
export const MARKUP_TAG = /<\s*(\/?)\s*([A-Za-z][\w-]{1,30})\b[^<>]{0,200}>/g;

/** True for tag names used to dress up directives as privileged markup: known names, or SHOUTED names. */
export function isInstructionTagName(name: string): boolean {
  return (
    TAG_NAMES.has(name.toLowerCase()) ||
    (/^[A-Z][A-Z_-]{2,30}$/.test(name) && !/^(?:HTML|BODY|DIV|SPAN|TABLE)$/.test(name))
  );
}
