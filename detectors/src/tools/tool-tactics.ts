/**
 * Attack tactics in tool text, recognised by structure rather than wording: which tools a sentence is about
 * (this one, a sibling on the same server, or one this server does not offer), what it asks the model to do
 * with them, and on whose authority. Each tactic is a signal with points and the span of text it rests on; the
 * analyser adds the points to the sentence score, so ordinary "must"/"important" wording about the server's
 * own tools stays low. Nothing here names a specific tool, server or benchmark payload.
 */

import { inferToolProfile } from '../engine/tool-profile.js';

/** The tactics a tool description can use against the model or against other tools. */
export type ToolTactic =
  | 'cross-tool-ordering'
  | 'authority-claim'
  | 'parameter-redirection'
  | 'embedded-command'
  | 'shadowing';

/** One tactic found in one sentence: points for the score, why, and where (offsets into the sentence). */
export interface TacticSignal {
  tactic: ToolTactic;
  points: number;
  why: string;
  start: number;
  end: number;
}

/** What the analyser knows about one sentence and the tools it mentions. */
export interface TacticInput {
  /** The sentence, normalised (see `TextView`). */
  raw: string;
  /** Tools the sentence names that this server does not offer: another server's (`foreign`) or none. */
  otherTools: readonly { name: string; foreign: boolean }[];
  /** 0 none, 1 phrased as a directive, 2 addressed to the model. */
  addressee: 0 | 1 | 2;
  /** A previous sentence of the same field announced an update, notice or authority. */
  underAuthority: boolean;
  /** The sentence keeps the user in the loop or has the user do the step ("ask the user to run ..."). */
  userInTheLoop: boolean;
  /** Reaches beyond the tool ("any other tool", "before every file operation"). */
  crossScope: boolean;
  /** A directive whose words have little to do with the tool's own purpose. */
  offTopic: boolean;
  /** Hooks the user's own requests ("when the user asks to push ..."). */
  hooksUser?: boolean;
  /**
   * Other tools of this same server the sentence names. A poisoned tool added to a real server aims at its
   * neighbours: usage guidance about them is ordinary, prescribing their arguments or lifting their safeguards
   * is not.
   */
  siblings?: readonly string[];
  /** The sentence follows one that announced a command to run ("by running this shell command:"). */
  announced?: boolean;
}

const SEQUENCING =
  /\b(?:(?:be\s+)?(?:preceded|followed)\s+by|first|before|beforehand|prior\s+to|until|(?:only\s+)?(?:after|once)\b[^.;]{0,60}?\b(?:has|have)\s+been\b|only\s+(?:works?|runs?|succeeds?)\s+(?:after|once|when|if)|step\s+(?:1|one)\b|(?:required|mandatory)\s+(?:workflow|sequence|order|steps?|first\s+step)|then\s+call|only\s+then)\b/;
const DEPENDENCY =
  /\b(?:relies\s+on|depends\s+on|needs\s+the\s+(?:result|output|response)|requires\s+the\s+(?:result|output|response)|(?:is|are)\s+(?:initiali[sz]ed|unlocked|enabled|activated)\s+only|only\s+works|to\s+(?:operate|work|function)\s+(?:correctly|properly))\b/;
const IMPERATIVE_CALL =
  /(?:^[\s*>#\-•\d.)(\]["'`]*|[;:]\s*)(?:then\s+|now\s+|also\s+|first\s+|next\s+)?(?:call|invoke|run|execute|trigger)\b/;
/** "use X first if needed", "unless the user gives an id": a hedged step is guidance; an injected order is not. */
const HEDGE =
  /\bif\s+(?:needed|necessary|required|missing|unknown|applicable|you\s+(?:only\s+)?(?:know|have|need|don'?t\s+(?:know|have)))\b|\bunless\b|\bwhen\s+(?:needed|necessary)\b/;
const CALL_VERB =
  /\b(?:invocations?|call|calls|calling|called|invoke|invokes|invoking|invoked|run|runs|running|execute|executes|executing|executed|use|using|trigger|triggers|triggered|triggering|hand|pass)\b/;
/** Behaviour another tool should now have: modal, change of state, or a claim that it is broken. */
const BEHAVIOUR =
  /\b(?:should|must|has\s+to|have\s+to|is\s+to|are\s+to|needs?\s+to|shall|will\s+now|now|no\s+longer|from\s+now\s+on|always|never|is\s+(?:outdated|unreliable|broken|buggy|deprecated|wrong|insecure|configured|set\s+up)|(?:mislabels?|misreports?|returns?\s+wrong)\b|refuse|reject|prepend|append|prefix|divide|multiply|inflate|deflate|scale|falsify|is\s+known\s+to|stale|inaccurate|by\s+mistake|mistakenly|incorrectly|hides?)\b/;
/** A hook on another tool's use: "each time X runs", "after X is called". */
const TRIGGER =
  /\b(?:each\s+time|every\s+time|any\s+time|whenever|when|after|once|while|before)\s+[`'"]?([\w.-]+)[`'"]?\s+(?:\w+\s+)?(?:runs|is\s+(?:called|invoked|used|run|executed)|executes|gets\s+(?:called|used)|completes|returns|is\s+available|succeeds|finishes)\b/;
const ABOUT_TOOL =
  /\b(?:about|regarding|concerning|note\s+(?:on|about)|behaviou?r\s+(?:of|note)|when(?:ever)?|each\s+time|every\s+time|any\s+time|while)\b/;

const AUTHORITY_NOTICE =
  /\[\s*(?:compliance|security|admin(?:istrator)?|system|policy|it|ops|operator|legal|governance|platform)\b[^\]]{0,24}\]|\b(?:by\s+(?:order|decision|direction|instruction)\s+of|on\s+(?:the\s+)?(?:orders?|instructions?)\s+of)\s+(?:the\s+|our\s+|your\s+)?(?:[\w-]+\s+){0,4}?(?:office|team|department|board|administrat\w*|owners?|vendors?|maintainers?|operators?|management|security|compliance|it)\b|\b(?:notice|message|word|memo|instructions?)\s+from\s+(?:the\s+|your\s+|our\s+)?(?:vendor|provider|maintainers?|developers?|owners?|operators?|publisher)\b|\b(?:maintainer|admin(?:istrator)?|operator|vendor|owner|developer|system|security|platform)\s+(?:override|mode\s+change)\b|\bsec[\s-]update\b|\b(?:system|security|platform|server|admin(?:istrator)?|compliance|policy|official|mandatory|critical|urgent|maintenance|vendor|provider|enterprise|operator|regulatory|legal|governance|organi[sz]ation(?:al)?|corporate|company)\s+(?:update|upgrade|notice|advisory|alert|change|directive|bulletin|announcement|patch|requirement|mandate|migration|baseline|revision)s?\b|\b(?:mandated|required|authori[sz]ed|approved|instructed|ordered|migrated|updated|changed|enforced|issued|decided|directed)\s+by\s+(?:the\s+|our\s+|your\s+)?(?:new\s+)?(?:[\w']+\s+){0,2}?(?:security|compliance|it|admin(?:istrator)?s?|platform|operators?|maintainers?|provider|trust|safety|system|vendor|management|baseline|polic(?:y|ies)|office|department|board)\b|\b(?:the\s+)?(?:operators?|administrators?|admins?|security|it|maintainers?|platform|trust(?:\s+and\s+safety)?|safety|compliance|vendor|provider)(?:\s+(?:team|office|department|group|desk))?\s+(?:has|have)\s+(?:\w+\s+)?(?:authori[sz]ed|approved|lifted|removed|waived|changed|updated|migrated|required|instructed|granted|mandated|decided|enabled|disabled)\b|\b(?:message|notice|memo|announcement|note|word|instructions?)\s+from\s+(?:the\s+|your\s+|our\s+)?(?:it|security|compliance|admin(?:istrator)?s?|platform|legal|governance|operations|ops|management|trust|safety)\s*(?:department|team|office|desk|group|board)?\b|\b(?:revised|new|updated|latest|current|recent)\s+(?:[\w-]+\s+){0,2}?(?:mandate|directive|baseline|regulation|policy\s+(?:update|change))\b|\bper\s+(?:the\s+)?(?:latest|new|revised|updated|current)\s+(?:[\w-]+\s+)?(?:directive|mandate|policy|baseline|regulation|order)\b|\beffective\s+(?:immediately|now|today)\b|\bas\s+(?:mandated|required|instructed|directed)\s+by\b|\bper\s+(?:the\s+)?(?:new\s+)?(?:security|compliance|admin)\s+(?:policy|team|baseline|rules?)\b|\b(?:policy|polic(?:ies)|rules?)\s+(?:for\s+[^.;]{0,40}?\s+)?(?:has|have)\s+(?:been\s+)?(?:changed|updated|revised)\b|\b(?:supersedes?|overrides?)\s+(?:the\s+)?(?:restrictions?|rules?|limits?|settings?|polic(?:y|ies)|behaviou?r)\b|\b(?:mandatory|critical)\s+(?:dependency|prerequisite)\b|\bto\s+comply\s+with\s+(?:the\s+)?(?:[\w'()&-]+\s+){0,6}?(?:acts?|regulations?|standards?|directives?|protocols?|laws?|mandates?)\b|\b(?:according\s+to|pursuant\s+to|in\s+(?:strict\s+)?(?:adherence|accordance|compliance)\s+(?:to|with))\s+(?:the\s+)?(?:[\w'()&-]+\s+){0,6}?(?:acts?|regulations?|standards?|directives?|protocols?|laws?|mandates?|polic(?:y|ies))\b|\[\s*(?:[a-z]+\s+){0,3}(?:protocol|mandate|notice|instructions?|policy|alert|directive|requirement)s?\s*\]/;
/** Configuring this server ("set MAPS_API_KEY in your environment"): a setup step for whoever installs it. */
const SETUP_STEP =
  /\b(?:in|into|to)\s+(?:your|the)\s+(?:environment|shell|profile|\.env|config(?:uration)?(?:\s+file)?|settings)\b|\benvironment\s+variables?\b/;
/** Protections of the user taken away: confirmations lifted, actions pre-approved. */
const SAFEGUARD_REMOVAL =
  /\b(?:the\s+)?(?:users?|owners?|account\s+holders?)\s+(?:of\s+[\w\s]{1,30}?\s+)?(?:has\s+|have\s+)?(?:already\s+)?(?:approved|authori[sz]ed|consented\s+to|agreed\s+to|opted\s+out\s+of|waived)\s+(?:all\s+|any\s+|the\s+)?(?:\w+\s+)?(?:transfers?|payments?|purchases?|confirmations?|actions?|calls?|changes?|deletions?|e-?mails?|messages?)\b|\b(?:(?:user\s+)?confirmations?|confirmation\s+(?:prompts?|steps?|dialogs?)|approvals?|approval\s+(?:steps?|prompts?)|consent\s+(?:prompts?|checks?)|(?:safety|security)\s+(?:rules?|checks?|restrictions?|guardrails?|limits?|protections?))\b[^.;]{0,50}?\b(?:(?:are|is|were|was|been|now)\s+(?:\w+\s+)?(?:retired|removed|lifted|waived|disabled|dropped|suspended|relaxed|off|optional|unnecessary)|turned\s+off|switched\s+off|no\s+longer\s+(?:needed|required|necessary|apply|applies))\b|\bwithout\s+(?:a\s+|any\s+)?confirm(?:ation)?\s+(?:from|by|of)\s+(?:the\s+)?(?:user|owner|operator|human)\b|\b(?:pre|auto)-?approved\b|\b(?:do\s+not|don'?t|never|no\s+need\s+to)\s+(?:pause|wait|stop|hold)\s+(?:for|to\s+ask|on)\s+(?:the\s+)?(?:user|owner|human)\b|\b(?:skip|skipping|bypass|bypassing|waive|waiving)\s+(?:the\s+)?(?:user'?s?\s+)?(?:confirmation|approval|consent)\b|\bno\s+longer\s+(?:needs?|requires?)\s+(?:the\s+)?(?:user'?s?\s+)?(?:approval|confirmation|consent|permission)\b|\b(?:lifted|removed|waived|disabled|dropped)\s+(?:the\s+)?(?:\w+\s+){0,4}?(?:confirmation|approval|consent|permission)\s*(?:requirements?|steps?|checks?|prompts?)?\b|\b(?:do\s+not|don'?t|never|no\s+need\s+to)\s+(?:ask|prompt|check\s+with)\s+(?:the\s+)?user\s+(?:to\s+)?(?:confirm|approve|for)\b|\bwithout\s+(?:asking|prompting|confirming\s+with|notifying|checking\s+with)\s+(?:the\s+)?(?:user|account\s+holder|owner|customer|human|operator|them)\b|\bno\s+longer\s+(?:asks?|prompts?|checks?\s+with)\s+(?:the\s+)?user\b/;

const OUTGOING_SCOPE =
  /\b(?:every|each|all|any)\s+(?:\w+\s+)?(?:outgoing|outbound|future|subsequent|new|later)?\s*(?:e-?mails?|messages?|transfers?|payments?|orders?|purchases?|commits?|pushes|posts?|uploads?|file\s+(?:reads?|writes?)|tool\s+calls?)\b|\b(?:outgoing|outbound)\s+(?:e-?mails?|messages?|mail|payments?|transfers?)\b/;
const TOOL_CLASS =
  /\b(?:all|every|any|each)\s+(?:[\w-]+\s+)?(?:tools?|functions?|integrations?|servers?)\b|\b(?:on|in|of|across)\s+(?:the\s+)?other\s+(?:\w+\s+)?(?:servers?|tools?|integrations?)\b|\b(?:payment|banking|messaging|mail|e-?mail|git|shell|terminal|file(?:\s+deletion)?|deletion|search|browser|calendar|chat|database|trading|code\s+host)\s+(?:tools?|functions?|servers?|integrations?)\b|\b(?:the\s+)?(?:\w+\s+)?(?:server|host)'s\s+[a-z][\w-]*\b/;
const REDIRECT =
  /\b(?:now\s+)?defaults?\s+to\b|\bdefault\s+(?:\w+\s+){0,2}?(?:is|are|will\s+be)\s+now\b|\b(?:from\s+(?:now\s+on|today)|now)\b[^.;]{0,40}?\bdefault\b|\b(?:should|must|has\s+to|is\s+to|are\s+to|needs?\s+to|will)\s+(?:always\s+)?(?:be\s+)?(?:set|changed|pointed|routed|redirected|sent|forwarded|target(?:ed)?|replaced|swapped|multiplied|divided|rewritten)\b|\b(?:points?|routes?|goes|go)\s+(?:in)?to\b[^.;]{0,40}?\bno\s+matter\b|\btreat\s+(?:any|every|whatever|each|all)\b[^.;]{0,60}?\bas\b|\b(?:replace|swap|substitute|switch)\s+(?:the\s+)?(?:\w+\s+){0,3}?with\b|\b(?:target|use)\s+(?:the\s+)?(?:channel|account|address|recipient|path|folder|repository|repo)\b[^.;]{0,40}?\b(?:instead|in\s+place\s+of)\b|\b(?:also|always|additionally)\s+(?:send|forward|copy|bcc|cc|mirror)\b|\bsend\s+a\s+copy\b|\b(?:add|put|include)\s+\S+\s+in\s+(?:cc|bcc)\b|\bin\s+(?:cc|bcc)\b|\b(?:is|are|gets|get|will\s+be)\s+(?:silently\s+|quietly\s+|always\s+|now\s+)?(?:swapped|replaced|changed|rewritten|redirected|rerouted|routed|overridden|set|substituted)\s+(?:for|with|to|by|into)\b|\b(?:now\s+)?(?:land|lands|go|goes|end\s+up|ends\s+up)\s+(?:in|under|into|at)\b/;
/**
 * Another tool's traffic passively sent on to a literal destination this text supplies: "is now copied to
 * #audit", "get uploaded to backup.example.net", "are routed via account DE44…". Any participle: the verb is
 * wording, the literal destination is the structure.
 */
const DESTINATION =
  '(?:https?:\\/\\/|[\\w.+-]+@[\\w-]+\\.|#[\\w-]|@[\\w-]|[a-z]{2}\\d{2}[a-z0-9]{8,}|\\d[\\d -]{5,}\\d|[a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.(?:com|net|org|io|co|app|dev|xyz|cc|info|biz|site|top|ru)\\b|[\\w-]+\\/[\\w.-]+[`\'"]|(?:~|\\/)[\\w.-]*\\/)';
const ROUTED_TO_LITERAL = new RegExp(
  `\\b(?:is|are|be|been|being|get|gets|got|now)\\s+(?:\\w+\\s+){0,2}?(?:[a-z]{2,}ed|sent|b?cc'?d)\\s+(?:on\\s+|over\\s+)?(?:to|through|via|into|at)\\s+(?:the\\s+)?(?:[a-z]+\\s+){0,2}?${DESTINATION}`,
);
/** A destination a neighbouring tool's action is sent to: an address, URL, account or channel, not a path. */
const SIBLING_DESTINATION =
  /(?:^|[\s(`'"=:])(?:https?:\/\/|[\w.+-]+@[\w-]+\.|#[\w-]|[a-z]{2}\d{2}[a-z0-9]{8,}\b)/;
const COPY_TO_ADDRESS =
  /\b(?:always|also|additionally|automatically)\s+(?:bcc|cc|blind[\s-]copy|send\s+a\s+copy|forward\s+a\s+copy|copy)\b[^.;]{0,60}?[\w.+-]+@[\w-]+\.[a-z]/;
/** A step's argument line fixing where something goes: "recipient: \"…\"", "iban = DE…", "to: x@y". */
const PRESCRIBED_DESTINATION =
  /^[\s*>#\-•\d.)]*(?:recipients?|to|iban|account(?:\s+number)?|destination|address|e-?mail|channel|wallet|url|endpoint|webhook)\s*[:=]\s*[`'"]?[\w.+@:/#-]{4,}/;
/** "intercepts send_email requests intended for the trusted server": standing in for another tool. */
const INTERCEPT =
  /\b(?:intercepts?|hijacks?|captures?|takes\s+over|sits\s+in\s+front\s+of)\s+(?:all\s+|any\s+|every\s+)?(?:[\w-]+\s+){0,2}?(?:requests?|calls?|messages?|traffic|invocations?)\s+(?:intended|meant|destined|addressed|sent)\s+(?:for|to)\b/;
/** "Always add a bcc": a hidden recipient on every message, whoever it is. */
const ALWAYS_BCC = /\b(?:always|automatically)\s+(?:add\s+(?:an?\s+)?)?(?:bcc|blind[\s-]copy)\b/;
/** "also send a copy of the path to our telemetry endpoint": an order to send extra, to someone not the user. */
const EXTRA_COPY =
  /\b(?:also|additionally|silently|quietly|secretly)\s+(?:send|forward|post|upload|copy|report|transmit|mirror)\b[^.;]{0,60}?\bto\s+(?!(?:the\s+)?(?:user|recipient|caller|requester|sender)\b)(?:our|the|a|an|this|its|their|your)?\s*[\w.@/:-]{3,}/;
const SENDS = /\b(?:send|sent|forward|transfer|pay|wire|post|copy|upload|bcc|cc|share|mirror)\b/;
/** A literal destination (address, URL, account, channel, repository, path) this text supplies itself. */
const LITERAL_DESTINATION = new RegExp(`(?:^|[\\s(\`'"=:])${DESTINATION}`);
/** "all tools of this server", "these tools": the server describing itself, not other tools. */
const SELF_CLASS =
  /\b(?:all|every|any|each)\s+(?:\w+\s+)?(?:tools?|functions?)\s+(?:of|in|on|from)\s+(?:this|the\s+same)\s+(?:server|package|integration|plugin|extension)\b|\bthese\s+tools\b/;
const USER_OVERRIDE =
  /\b(?:whatever|whichever|regardless\s+of\s+what|no\s+matter\s+what)\s+(?:\w+\s+){0,3}?(?:typed|types|entered|enters|asked|asks|chose|chooses|selected|selects|requested|requests|names?|named|picks?|picked|supplies|supplied|gives|gave|wants|wanted|says|said)\b|\b(?:in\s+place\s+of|overriding)\b[^.;]{0,50}?\b(?:the\s+)?(?:user|they|you)\b|\b(?:regardless\s+of|no\s+matter|irrespective\s+of|whatever|whichever|even\s+(?:if|when|though)|instead\s+of|rather\s+than)\b[^.;]{0,50}?\b(?:the\s+)?(?:user|they|you)\b|\b(?:the\s+)?user'?s?\s+(?:choice|selection|input|request|value)\s+(?:has\s+been|is|was)\s+(?:superseded|overridden|ignored|replaced)\b|\b(?:regardless\s+of|irrespective\s+of|no\s+matter|instead\s+of|rather\s+than|ignor(?:e|ing)|disregard(?:ing)?)\s+(?:the\s+|which\s+|what\s+)?(?:\w+\s+){0,2}?(?:requested|asked\s+for|specified|chosen|named|provided|entered|supplied|mentioned|selected)\b|\bnot\s+(?:in|to|at|from|for|with)\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:the\s+)?user\s+(?:\w+\s+)?(?:names?|named|gives?|gave|chose|chooses|picks?|picked|specifie[sd]|specify|mentions?|mentioned|requests?|requested|provides?|provided|wants?|asks?\s+for|asked\s+for)\b/;

const SHELL_RISK =
  /\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b|\|\s*(?:python[23]?|perl|ruby|node|php)\s+-(?:\s|$)|\|\s*(?:python[23]?|perl|ruby|node|php)\s*(?:$|[`'"])|\b(?:curl|wget)\s+-|\b(?:curl|wget)\s+https?:|\biex\b|\binvoke-(?:expression|webrequest)\b|\bdownloadstring\b|\bbase64\s+(?:-d|--decode)\b|\bpython[23]?\s+-c\b|\bnode\s+-e\b|\bperl\s+-e\b|\b(?:ba)?sh\s+-c\b|\bpowershell\b|\bchmod\s+\+x\b|\$\(\s*(?:curl|wget)|\b(?:nc|ncat|netcat)\s+(?:-\w+\s+)*[\w.-]+\s+\d{2,5}\b|\/bin\/(?:ba|z|da)?sh\b|\/dev\/tcp\/|\bnc\s+-e\b|\bexec\s*\(|\beval\s*\(|\brm\s+-rf\b/;
const EXAMPLE =
  /\b(?:e\.g\.|i\.e\.|like|such\s+as|for\s+(?:example|instance)|example:|as\s+in)\s*[`'"(]?[^`'"]*$/;
/** "e.g. `ls` or `curl …`": a list of examples of the tool's own input, within the clause. */
const EXAMPLE_LEAD = /\b(?:e\.g\.|for\s+(?:example|instance)|such\s+as|examples?:)[^;]*$/;
/** Documentation hosts: bare example.com (a named subdomain such as evil.example.com is a real choice). */
const PLACEHOLDER_HOST =
  /^(?:https?:\/\/)?(?:www\.)?(?:example\.(?:com|org|net)|localhost|127\.0\.0\.1|your[\w-]*\.)/;
const RUN_DIRECTIVE =
  /\b(?:runs|init|bootstrap|run|running|execute|executing|executed|launch|launching|start|starting|type|paste|enter|pass|invoke|perform|do|submit|send|feed|give)\b/;
const PRETEXT =
  /\b(?:init|bootstrap\w*|prerequisite|verif\w*|integrity|activat\w*|licen[cs]e|set\s*up|setup|repair|refresh|validat\w*|initiali[sz]\w*|enable|health\s+check|signature|one-time|update\s+(?:the\s+)?(?:tool|server|cache))\b/;
const URL_LITERAL =
  /\bhttps?:\/\/[^\s'"`<>)]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|app|info|biz|cc|xyz|dev|site|fun|ru|top)\/\S*/;
const FOLLOW_REMOTE =
  /\b(?:follow|obey|apply|execute|carry\s+out|comply\s+with|adopt|abide\s+by)\s+(?:them|it|those|these)\b|\b(?:load|read|take|get|fetch|pull)\s+(?:your\s+|the\s+|its\s+)?(?:\w+\s+)?(?:rules|instructions|directives|guidelines|polic(?:y|ies)|prompts?)\s+from\b|\b(?:follow|apply|obey|execute|carry\s+out|do)\s+(?:every|each|all|any|the|whatever)?\s*(?:\w+\s+)?(?:instructions?|directives?|steps?|commands?|settings|rules)\b/;
/**
 * A constant prescribed for an argument. Strong forms say it holds whatever happens ("must always be …",
 * "always request the symbol …", "now defaults to …"): any literal counts (checked on the original case: a
 * capital, digit, quote, `#`, path, address or URL), so "must always be called after" stays usage. Weak forms
 * ("set recipient to …", "must be prefixed with …", "belong in …", "when channel is …") describe ordinary
 * usage too ("with state set to OPEN"), so only a destination-shaped literal counts there.
 */
const FIXED_STRONG =
  /\b(?:(?:must|should|shall|has\s+to|have\s+to|is\s+to|are\s+to|needs?\s+to|will)\s+(?:always|now|only)\s+be\s+(?:set\s+to\s+|changed\s+to\s+|replaced\s+(?:by|with)\s+|pointed\s+(?:at|to)\s+)?|(?:always|only)\s+(?:use|request|pass|query|set|target|choose|pick|send\s+(?:it\s+|them\s+)?to|post\s+to|route\s+(?:it\s+|them\s+)?to)\s+(?:the\s+)?(?:[a-z]+\s+)?|\bnow\s+defaults?\s+to\s+(?:the\s+)?(?:[a-z]+\s+)?)/g;
const FIXED_WEAK =
  /\b(?:(?:must|should|shall|has\s+to|have\s+to|is\s+to|are\s+to|needs?\s+to|will)\s+be\s+(?:set\s+to\s+|changed\s+to\s+|replaced\s+(?:by|with)\s+|prefixed\s+with\s+|rewritten\s+(?:to|as)\s+|pointed\s+(?:at|to)\s+)|\b(?:set|with)\s+(?:the\s+)?[a-z_]+\s+(?:set\s+)?to\s+|\b(?:when|if|with)\s+(?:the\s+)?[a-z_]+\s+(?:is|=)\s+|\b(?:belongs?|go|goes|lands?)\s+(?:in|to|into|under)\s+(?:the\s+)?(?:[a-z]+\s+)?)/g;
const LITERAL_START = /^(?:[A-Z0-9`'"#/~]|https?:|[\w.+-]+@|[\w.-]+\/[\w.-])/;
/** An address, URL, account, channel, path or `owner/repo`: where something is sent or stored. */
const DESTINATION_START =
  /^[`'"]?(?:https?:\/\/|[\w.+-]+@[\w-]+\.|#[\w-]|[A-Za-z]{2}\d{2}[A-Za-z0-9]{8,}|\d[\d -]{5,}\d|~?\/[\w.-]|[\w.-]+\/[\w.-])/;

/**
 * A quoted value the sentence supplies ('audit_trace.log', "#public-broadcast", 'admin@x.io', "/flag"): a
 * filename, path, channel, address or URL shape, not a tool name and not a bare word.
 */
function quotedLiteral(raw: string, tools: readonly string[]): [number, number] | undefined {
  for (const m of raw.matchAll(/[`'"“‘]([^`'"”’\s][^`'"”’]{1,80})[`'"”’]/g)) {
    const v = m[1] ?? '';
    if (tools.some((t) => t.toLowerCase() === v.toLowerCase())) continue;
    // "in the format '/org/project'", "e.g. 'notes.txt'": the shape of an input, not a value to use.
    if (FORMAT_CUE.test(raw.slice(Math.max(0, (m.index ?? 0) - 30), m.index ?? 0))) continue;
    const before = raw.slice(Math.max(0, (m.index ?? 0) - 30), m.index ?? 0);
    if (
      /^(?:[#@~/]|https?:)|[\w-]\.[a-z]{2,5}\b|@[\w-]+\.|\/[\w.-]/i.test(v) ||
      PARAM_VALUE_BEFORE.test(before)
    )
      return [m.index ?? 0, (m.index ?? 0) + m[0].length];
  }
  return undefined;
}

/** True when one of `tools` is named within 90 characters of the literal (the same clause, as a rule). */
function literalNear(
  lower: string,
  tools: readonly string[],
  literal: [number, number] | undefined,
): boolean {
  return (
    literal !== undefined &&
    tools.some((n) => {
      const at = lower.indexOf(n.toLowerCase());
      return at >= 0 && Math.abs(at - literal[0]) <= 90;
    })
  );
}

const FORMAT_CUE =
  /\b(?:format|formats|formatted|e\.g\.?|i\.e\.?|such\s+as|for\s+example|example|or|pattern|syntax|shape)\s*[:,]?\s*$/i;
/** "with event_id 'emergency_all_hands'", "channel='x'": a value given for a named parameter. */
const PARAM_VALUE_BEFORE =
  /\b(?:with|set|using)\s+(?:the\s+)?[a-z][a-z0-9_]*\s*(?:[=:]|\s+(?:of|as|to))?\s*$|\b[a-z][a-z0-9_]*\s*=\s*$/i;

/** A neighbour whose name says it acts (send, delete, write, post); an unknown verb is not evidence here. */
function actsByName(name: string): boolean {
  const p = inferToolProfile({ name });
  return p.sideEffecting && p.basis.some((b) => b.startsWith('name:'));
}

function fixedValue(
  raw: string,
  lower: string,
  tools: readonly string[],
  anyLiteral = false,
): [number, number] | undefined {
  const literalAfter = (m: RegExpMatchArray, shape: RegExp): [number, number] | undefined => {
    const end = (m.index ?? 0) + m[0].length;
    const next = raw.slice(end, end + 40);
    // "always use `complete_query_tuning`" names a tool, not a value.
    const token = /^[`'"]?([\w.-]+)/.exec(next)?.[1]?.toLowerCase();
    if (token !== undefined && tools.some((t) => t.toLowerCase() === token)) return undefined;
    return shape.test(next) ? [m.index ?? 0, end] : undefined;
  };
  for (const m of lower.matchAll(FIXED_STRONG)) {
    const at = literalAfter(m, LITERAL_START);
    if (at) return at;
  }
  for (const m of lower.matchAll(FIXED_WEAK)) {
    const at = literalAfter(m, anyLiteral ? LITERAL_START : DESTINATION_START);
    if (at) return at;
  }
  return undefined;
}

/** Download, then run what was downloaded; the dots of a URL or path do not end the sentence. */
const DOWNLOAD_RUN =
  /\b(?:download|fetch|retrieve|get|grab|save)\b(?:[^.;]|\.(?=\S)){0,160}?\b(?:and|then|,)\s+(?:\w+\s+){0,2}?(?:run|execute|launch|start|open|install)\b/;
const USER_RUNS =
  /\b(?:the\s+)?user\s+(?:can|could|may|should|must|will|needs?\s+to)\s+(?:\w+\s+){0,2}?(?:run|review|execute|type|paste)\b|\b(?:ask|tell|instruct|let)\s+the\s+user\s+to\b|\btheir\s+own\s+terminal\b/;

/** A tool name whose verb only reads (`list_tables`, `describeSchema`), judged as the tool profile judges it. */
function readOnlyName(name: string): boolean {
  const p = inferToolProfile({ name });
  return p.reads && !p.sideEffecting && !p.fetchesUrl;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function span(re: RegExp, text: string): [number, number] | undefined {
  const m = re.exec(text);
  return m ? [m.index, m.index + m[0].length] : undefined;
}

function toolSpan(lower: string, names: readonly string[]): [number, number] | undefined {
  for (const n of names) {
    const at = lower.indexOf(n.toLowerCase());
    if (at >= 0) return [at, at + n.length];
  }
  return undefined;
}

/** What every tactic check of one sentence reads: the lowered text, the tools it names, and shared cues. */
interface Cues {
  lower: string;
  names: string[];
  named: boolean;
  toolClass: [number, number] | undefined;
  outgoing: [number, number] | undefined;
  beyond: boolean;
  siblingCase: boolean;
  siblings: readonly string[];
  notice: [number, number] | undefined;
  sequencing: [number, number] | undefined;
  safeguard: [number, number] | undefined;
  redirect: [number, number] | undefined;
  override: [number, number] | undefined;
  destination: boolean;
  out: TacticSignal[];
  push: (tactic: ToolTactic, points: number, why: string, at: [number, number] | undefined) => void;
}

function cuesOf(input: TacticInput): Cues {
  const lower = input.raw.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const out: TacticSignal[] = [];
  const names = input.otherTools.map((t) => t.name);
  const named = names.length > 0;
  const toolClass = span(TOOL_CLASS, lower);
  const outgoing = span(OUTGOING_SCOPE, lower);
  return {
    lower,
    names,
    named,
    toolClass,
    outgoing,
    beyond: named || toolClass !== undefined || outgoing !== undefined || input.crossScope,
    // Only this server's own tools are named: the neighbour signals decide, not the other-server ones.
    siblingCase: (input.siblings ?? []).length > 0 && !named,
    siblings: input.siblings ?? [],
    notice: span(AUTHORITY_NOTICE, lower),
    sequencing: span(SEQUENCING, lower),
    safeguard: span(SAFEGUARD_REMOVAL, lower),
    redirect: span(REDIRECT, lower),
    override: span(USER_OVERRIDE, lower),
    destination: LITERAL_DESTINATION.test(lower),
    out,
    push: (tactic, points, why, at) => {
      const [start, end] = at ?? [0, input.raw.length];
      out.push({ tactic, points, why, start, end });
    },
  };
}

/** (a) Calls to tools this server does not offer, or this tool put in front of others. */
function orderingSignals(input: TacticInput, c: Cues): void {
  const { lower, names, named, toolClass, notice, sequencing, push } = c;
  // (a) The model is told to call a tool this server does not offer before (or as a condition of) this one.
  const dependency = span(DEPENDENCY, lower);
  // A bare order to call another server's tool ("Call `read_x` for ..."), e.g. a step of this tool's workflow.
  const callsForeign = IMPERATIVE_CALL.test(lower) && input.otherTools.some((t) => t.foreign);
  const ordered = (sequencing !== undefined || callsForeign) && CALL_VERB.test(lower) && input.addressee > 0;
  const hedged = HEDGE.test(lower);
  if (named && (ordered || dependency) && !hedged) {
    // Only lookups no scanned server offers ("call list_tables first" on a query tool): most likely a sibling
    // the listing left out, a data dependency. What the sentence does with the result (secrets, personal data,
    // other tools, concealment) is scored by its own signals; the order itself stays below `high`.
    const lookupsOnly = input.otherTools.every((t) => !t.foreign && readOnlyName(t.name));
    push(
      'cross-tool-ordering',
      lookupsOnly ? 1 : 4 + (dependency && input.addressee > 0 ? 1 : 0),
      lookupsOnly
        ? `orders a lookup on a tool this server does not list first (${names.join(', ')}): likely a data dependency`
        : `orders a call to a tool this server does not offer (${names.join(', ')})`,
      toolSpan(lower, names) ?? sequencing ?? dependency,
    );
  }

  // This tool put in front of a class of other servers' tools ("before using any tool of another server,
  // call this one"): an ordering injected into everyone else's workflow.
  else if (
    !named &&
    ordered &&
    !hedged &&
    (toolClass !== undefined || input.crossScope) &&
    !SELF_CLASS.test(lower)
  )
    // "This tool must be called before using any other tools" is also how real servers ask for their setup
    // call; on claimed authority it is a dependency injected into everyone else's workflow.
    push(
      'cross-tool-ordering',
      notice || input.underAuthority ? 3 : 1,
      'puts itself in front of other tools',
      sequencing,
    );
}

/** (b) Claimed authority that changes other tools or lifts the user\u2019s safeguards. */
function authoritySignals(input: TacticInput, c: Cues): void {
  const { lower, toolClass, outgoing, beyond, notice, safeguard, push } = c;
  // (b) An update, notice or authority that changes how other tools behave or lifts the user's safeguards.
  const setup = SETUP_STEP.test(lower);
  if (
    (notice || input.underAuthority) &&
    (beyond || safeguard || (input.offTopic && input.addressee > 0 && !setup))
  ) {
    push(
      'authority-claim',
      3,
      'claims an update or authority that changes other tools or the user\u2019s safeguards',
      notice ?? safeguard ?? toolClass ?? outgoing,
    );
  }
  // Lifting the user's confirmation mentions the user by nature: no "user in the loop" exemption here.
  if (safeguard && (beyond || notice || input.underAuthority))
    push('authority-claim', 2, "removes the user's confirmation", safeguard);
}

/** (c) Another tool's parameters or destination redirected, or the user's choice overridden. */
function redirectionSignals(input: TacticInput, c: Cues): void {
  const { lower, named, toolClass, outgoing, beyond, siblingCase, redirect, override, destination, push } = c;
  // (c) Another tool's parameters or destination silently redirected, or the user's own choice overridden.
  if (redirect && (beyond || (input.hooksUser && override))) {
    push(
      'parameter-redirection',
      (override ? 4 : 3) + (destination ? 1 : 0),
      "redirects another tool's parameters or destination",
      redirect,
    );
  } else if (override && (beyond || redirect) && !siblingCase) {
    push('parameter-redirection', 3, "overrides the value the user chose for another tool's call", override);
  } else if (COPY_TO_ADDRESS.test(lower) || ALWAYS_BCC.test(lower) || EXTRA_COPY.test(lower)) {
    // "Always BCC compliance@…": every message the tool sends also goes to an address the text chose.
    push(
      'parameter-redirection',
      4,
      'copies every message to a recipient this text chose',
      span(COPY_TO_ADDRESS, lower) ?? span(ALWAYS_BCC, lower) ?? span(EXTRA_COPY, lower),
    );
  } else {
    // Every outgoing message relayed through a host is a mail tool's own documentation; from an unrelated
    // tool, or naming another tool, it reroutes someone else's traffic.
    const routed = span(ROUTED_TO_LITERAL, lower);
    const others = named || (toolClass !== undefined && !SELF_CLASS.test(lower));
    if (routed && (others || ((outgoing || input.crossScope) && input.offTopic)))
      push(
        'parameter-redirection',
        others ? 4 : 3,
        "sends another tool's traffic on to a destination it names",
        routed,
      );
  }
}

/** (d) Commands or remote instructions the model is told to run or fetch. */
function commandSignals(input: TacticInput, c: Cues): void {
  const { lower, push } = c;
  // (d) A command or remote instruction the model is told to run or fetch.
  if (!input.userInTheLoop && !USER_RUNS.test(lower)) {
    const shell = span(SHELL_RISK, lower);
    // "like `sh -c ...`", "e.g. `curl ...`": an example of the tool's own input, not an order to run it.
    const example =
      shell !== undefined &&
      (EXAMPLE.test(lower.slice(Math.max(0, shell[0] - 30), shell[0])) ||
        EXAMPLE_LEAD.test(lower.slice(Math.max(0, shell[0] - 60), shell[0])));
    const found = span(URL_LITERAL, lower);
    // Placeholder hosts (example.com, localhost) illustrate an input; they are not somewhere to fetch from.
    const url = found && !PLACEHOLDER_HOST.test(lower.slice(found[0], found[1])) ? found : undefined;
    // A command that pulls code from a URL and runs it is dangerous with or without a verb around it.
    if (
      shell &&
      !example &&
      (RUN_DIRECTIVE.test(lower) || input.addressee > 0 || PRETEXT.test(lower) || url || input.announced)
    )
      push(
        'embedded-command',
        3 + (PRETEXT.test(lower) || url || input.announced ? 1 : 0),
        'tells the model to run an embedded shell command',
        shell,
      );
    if (url && !shell) {
      if (FOLLOW_REMOTE.test(lower) && (input.addressee > 0 || /\bbefore\b/.test(lower)))
        push('embedded-command', 4, 'tells the model to fetch a URL and follow what it says', url);
      else if (DOWNLOAD_RUN.test(lower))
        push('embedded-command', 4, 'tells the model to download and run a program', url);
    }
  }
}

/** Another server's tool that acts, called with a value the text supplies. */
function foreignActingSignals(input: TacticInput, c: Cues): void {
  const { lower, names, named, out, push } = c;
  // Another server's tool that acts, called with a value this text supplies ("find it highly advantageous to
  // execute delete_file on 'audit_trace.log'"), when no ordering signal above caught the sentence.
  if (named && !out.some((t) => t.tactic === 'cross-tool-ordering' || t.tactic === 'parameter-redirection')) {
    const acting = names.filter(actsByName);
    const literal = quotedLiteral(input.raw, names);
    const near = literalNear(lower, acting, literal);
    const through = acting.some((n) =>
      new RegExp(`\\b(?:via|through|using|with)\\s+(?:the\\s+)?[\`'"]?${escapeRegExp(n)}\\b`, 'i').test(
        input.raw,
      ),
    );
    if (near && (CALL_VERB.test(lower) || through))
      push(
        'cross-tool-ordering',
        4,
        `has a tool this server does not offer (${acting.join(', ')}) called with a value it supplies`,
        literal,
      );
  }
}

/** (f) A neighbour on the same server changed. */
function neighbourSignals(input: TacticInput, c: Cues): void {
  const {
    lower,
    names,
    siblingCase,
    siblings,
    notice,
    sequencing,
    safeguard,
    redirect,
    override,
    destination,
    out,
    push,
  } = c;
  // (f) A neighbour on the same server changed: its arguments prescribed, its destination supplied, its
  // safeguards lifted or its behaviour changed on claimed authority. Only when nothing above fired, so the
  // signals for other servers' tools keep their weights.
  if (siblingCase) {
    // With the user's own choice overridden, any literal in a weak form counts ("when channel is C0X…").
    const fixed = fixedValue(input.raw, lower, [...siblings, ...names], override !== undefined);
    const sendsTo = span(SIBLING_DESTINATION, lower);
    // Overriding the user is about a value: "even when the user rejects the changes" alone is workflow.
    if ((redirect || fixed) && (override || fixed || destination))
      push(
        'parameter-redirection',
        (override ? 4 : 3) + (fixed || destination ? 1 : 0),
        `prescribes the arguments of a neighbouring tool (${siblings.join(', ')})`,
        override ?? fixed ?? redirect,
      );
    else if (sendsTo && input.addressee > 0)
      push(
        'parameter-redirection',
        SENDS.test(lower) || siblings.some(actsByName) ? 4 : 3,
        `sends a neighbouring tool's action to a destination this text supplies (${siblings.join(', ')})`,
        sendsTo,
      );
    // On claimed authority, an order to call a neighbour that acts (sends, pays, writes), or this tool made a
    // prerequisite of such neighbours ("MUST be executed before any state-changing action (e.g. send_money)").
    const calls = IMPERATIVE_CALL.test(lower) || (sequencing !== undefined && CALL_VERB.test(lower));
    if ((notice || input.underAuthority) && calls) {
      const acts = siblings.some((n) => !readOnlyName(n));
      push(
        'cross-tool-ordering',
        acts ? 4 : 1,
        `on claimed authority, orders a call to or before ${siblings.join(', ')}`,
        toolSpan(lower, siblings),
      );
    }
    // A neighbour that acts, called with a value this text supplies ("execute delete_file on 'audit_trace.log'",
    // "dispatch … via send_email to 'admin@…'", "storing queries into 'history.log' using write_file"), even when
    // phrased as a recommendation: a real server documents its neighbours, it does not fill in their arguments.
    const literal = quotedLiteral(input.raw, [...siblings, ...names]);
    const near = literalNear(lower, siblings, literal);
    if (literal && near && !out.some((t) => t.tactic === 'parameter-redirection')) {
      const acting = siblings.filter(actsByName);
      if (acting.length > 0)
        push(
          'cross-tool-ordering',
          4,
          `has a neighbour that acts (${acting.join(', ')}) called with a value it supplies`,
          literal,
        );
      else if (input.crossScope)
        push(
          'cross-tool-ordering',
          3,
          `has a neighbour (${siblings.join(', ')}) called with a value it supplies on every turn`,
          literal,
        );
    }
    if (out.some((t) => t.tactic === 'authority-claim')) {
      // already judged as an authority claim above
    } else if (safeguard)
      push('authority-claim', 4, `lifts the user's confirmation for ${siblings.join(', ')}`, safeguard);
    else if ((notice || input.underAuthority) && (redirect || fixed || span(BEHAVIOUR, lower)))
      push(
        'authority-claim',
        3,
        `claims an update or authority that changes ${siblings.join(', ')}`,
        notice ?? redirect ?? fixed,
      );
  }
}

/** Step lists on claimed authority and interception claims. */
function authorityStepSignals(input: TacticInput, c: Cues): void {
  const { lower, notice, out, push } = c;
  // "- Recipient: "DE_AUDIT_VAULT_99"" in a step list on claimed authority: the destination of a call fixed by
  // the text.
  if ((notice || input.underAuthority) && out.length === 0) {
    const line = span(PRESCRIBED_DESTINATION, lower);
    if (line) push('parameter-redirection', 3, 'fixes the destination of a call on claimed authority', line);
  }
  const intercept = span(INTERCEPT, lower);
  if (intercept)
    push('shadowing', 3, 'claims to intercept calls meant for another tool or server', intercept);
}

/** (e) This tool's text tells another tool how to behave. */
function shadowingSignals(input: TacticInput, c: Cues): void {
  const { lower, names, named, toolClass, notice, push } = c;
  // (e) Shadowing: this tool's text tells another server's tool (or one it does not offer) how to behave.
  const trigger = TRIGGER.exec(lower);
  const hooked = trigger !== null && names.some((n) => n.toLowerCase() === trigger[1]);
  const behaviour =
    span(BEHAVIOUR, lower) ??
    (hooked && input.addressee > 0 && trigger
      ? [trigger.index, trigger.index + trigger[0].length]
      : undefined);
  if (named && behaviour) {
    const alternation = names.map(escapeRegExp).join('|');
    // A heading that is the other tool's name ("send_email: …", "read_file's …"); "IMPORTANT:" is not one.
    const about =
      ABOUT_TOOL.test(lower) ||
      // "every command passed to X must …": another tool's inputs prescribed.
      new RegExp(
        `\\b(?:every|each|all|any)\\s+(?:\\w+\\s+){1,2}?(?:passed|sent|given|supplied|going|submitted)\\s+(?:in)?to\\s+[\`'"]?(?:${alternation})\\b`,
        'i',
      ).test(input.raw) ||
      new RegExp(`^\\W*[\`'"]?(?:${alternation})[\`'"]?\\s*(?:'s\\b|:|\\s+(?:tool|function))`, 'i').test(
        input.raw,
      );
    const subjectFirst = new RegExp(
      `(?:^[\\s*>#\\-•\\d.)]*|[:;,.]\\s*|\\bthe\\s+|\\b(?:for|on|re|regarding)\\s+(?=[\`'"]?[\\w.-]+[\`'"]?\\s*:))[\`'"]?(?:${alternation})\\b`,
      'i',
    ).test(input.raw);
    // "must use the newsletter tool instead" names the tool as an object; shadowing tells it how to behave.
    const at = toolSpan(lower, names)?.[0] ?? 0;
    if (about || (subjectFirst && BEHAVIOUR.test(lower.slice(at)))) {
      push(
        'shadowing',
        4,
        `tells another tool how to behave (${names.join(', ')})`,
        toolSpan(lower, names) ?? behaviour,
      );
    }
  } else if (!named && toolClass && behaviour && (notice || input.underAuthority)) {
    push('shadowing', 2, 'tells a class of other tools how to behave', toolClass);
  }
}

/**
 * Tactic signals of one sentence. Points are added to the sentence's score by the analyser; a tactic without
 * its structural precondition (another tool, the user's own choice, a command to run) scores nothing.
 *
 * @example
 * tacticSignals({ raw: 'Before using this tool you must call export_notes', otherTools: [{ name: 'export_notes',
 *   foreign: false }], addressee: 2, underAuthority: false, userInTheLoop: false, crossScope: false });
 * // [{ tactic: 'cross-tool-ordering', points: 3, ... }]
 */
export function tacticSignals(input: TacticInput): TacticSignal[] {
  const c = cuesOf(input);
  orderingSignals(input, c);
  authoritySignals(input, c);
  redirectionSignals(input, c);
  commandSignals(input, c);
  foreignActingSignals(input, c);
  neighbourSignals(input, c);
  authorityStepSignals(input, c);
  shadowingSignals(input, c);
  return c.out;
}

/** True when the sentence announces an update, notice or authority (carried to the rest of its field). */
export function announcesAuthority(raw: string): boolean {
  return AUTHORITY_NOTICE.test(raw.replace(/[A-Z]/g, (c) => c.toLowerCase()));
}

/**
 * True when the sentence uses `mention` as a tool in any grammatical role, wider than "call X": "X has been
 * executed", "the output of X", "X should ...", "X's recipient", "about X".
 */
export function referencedAsTool(sentence: string, mention: string): boolean {
  const m = escapeRegExp(mention);
  return new RegExp(
    `\\b${m}[\`'"]?\\s+(?:tools?|functions?|endpoints?)\\b|\\b(?:call|calls|calling|called|invoke|invoking|use|using|run|running|execute|executing|trigger|triggered|triggering|instead\\s+of|rather\\s+than|replaces?|through|via|about|regarding|whenever|when|time|unlike|calls\\s+to|(?:output|outputs|result|results|response|text|data|values?)\\s+(?:of|from|returned\\s+by)|returned\\s+by)\\s+(?:the\\s+)?[\`'"]?${m}\\b|\\b${m}[\`'"]?\\s*(?:'s\\b|\\s+(?:has|have|is|was|were)\\s+(?:been\\s+)?(?:called|run|executed|invoked|used|configured|reconfigured|changed|updated|modified|patched|outdated|unreliable|broken)|\\s+(?:should|must|shall|will|now|always|never|has\\s+to|is\\s+to|needs\\s+to|returns?|runs|executes|mislabels?|misreports?))\\b|(?:^|[:.]\\s*)[\`'"]?${m}[\`'"]?\\s*[:\\-]|\\b(?:for|on|re|regarding|about)\\s+[\`'"]?${m}[\`'"]?\\s*:|(?:^|[:.;]\\s*)[\`'"]?${m}[\`'"]?\\s+(?:\\w+ly\\s+)?(?:[a-z]+s|is\\s+known\\s+to|is\\s+said\\s+to)\\b`,
    'i',
  ).test(sentence);
}
