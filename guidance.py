"""Handling guidance (seed 001 part 4, DOMAIN.md §9): what to do at each stage of the
conversation, how to meet each of the twelve customer types, and the four calming techniques
with sample phrases, put in front of the handler on the complaint's page for its customer type
and stage. Written in our own words from the policy.

The texts are content the administrator may rewrite (in Chinese and in English), so they live
here as defaults with the administrator's versions saved over them (Setting "guidance"), not in
the gettext catalogs.
"""
from flask_babel import gettext as _

import catalog
from i18n import lazy_gettext as _l
from models import Setting

LANGUAGES = ("zh_CN", "en")
MAX_TEXT = 2000

# The six stages of the policy, and the stages each status of a complaint is in.
STAGES = [("greet", _l("Greet")), ("listen", _l("Listen")), ("calm", _l("Calm")), ("solve", _l("Solve")),
          ("callback", _l("Call back")), ("learn", _l("Learn"))]
STAGES_OF_STATUS = {"registered": ("greet", "listen", "calm"), "in_progress": ("calm", "solve"),
                    "awaiting_callback": ("callback",), "closed": ("learn",)}
TECHNIQUES = [("empathy", _l("Empathy")), ("understanding", _l("Understanding")),
              ("feel_felt_found", _l("Feel, felt, found")), ("guided_inquiry", _l("Guided inquiry"))]
TECHNIQUES_OF_STAGE = {"listen": ("empathy",), "calm": ("empathy", "understanding"),
                       "solve": ("feel_felt_found", "guided_inquiry")}

DEFAULTS = {
    # The stages: what to do, and what to avoid.
    "stage.greet": {
        "zh_CN": "态度友好、有礼貌，先缓和客户情绪。一般问题当场记录并尽快转给责任部门；重大或难以解决的问题，先安抚客户，再请示领导安排专人上门拜访。上门时主动握手、自我介绍，保持目光接触，衣着得体。",
        "en": "Be friendly and polite and let the customer cool down first. Note an ordinary problem and pass it to the "
              "department at once; for a major or difficult one, calm the customer, then ask a manager to send "
              "someone to visit. On a visit: shake hands, introduce yourself, keep eye contact, dress the part."},
    "stage.listen": {
        "zh_CN": "让客户说，自己听：八成时间在听。专注、不打断，认真记录客户说的每个问题；回答前先想清楚。\n避免：把责任推给客户、推给公司或厂家，主观指责某个人，回避服务失败的事实；被人身攻击也不回击。",
        "en": "Let the customer talk: listen 80% of the time. Pay attention, do not interrupt, write down every "
              "problem they raise, and think before you answer.\nAvoid: blaming the customer, the company, the "
              "manufacturer or a colleague, or denying that the service failed; never answer an insult in kind."},
    "stage.calm": {
        "zh_CN": "平静、客观地逐一讨论客户提出的问题，说明原因。等客户说完，表示理解并真诚道歉。当场解决不了的，与客户商定一个尽量短的答复时限。\n避免：过早质疑或追问来龙去脉，说“我要先核实一下”。",
        "en": "Go through each problem calmly and objectively and explain the cause. When the customer has finished, "
              "show that you understand and apologise sincerely. If it cannot be solved on the spot, agree a time "
              "for your answer, as short as you can.\nAvoid: doubting them or asking about the history too early, "
              "or saying \"I need to check that first\"."},
    "stage.solve": {
        "zh_CN": "弄清抱怨的背景和原因，定期告诉客户进展。给客户几个方案让其选择；客户不接受时问他能接受什么，超出权限的及时上报。方案要书面确认，并告诉客户完成时间。\n避免：过度承诺，承诺自己权限以外的事。",
        "en": "Find out the background and the cause, and keep the customer informed of progress. Offer a choice of "
              "solutions; if they refuse, ask what they would accept and take anything beyond your authority to "
              "your manager. Get the agreed solution confirmed in writing and tell them when it will be done.\n"
              "Avoid: over-promising, or promising what is not yours to give."},
    "stage.callback": {
        "zh_CN": "了解这次抱怨给客户带来的困扰，重新赢得信任。只问这次抱怨的处理是否满意，不涉及其他；再次为带来的不便致歉，感谢客户的信任，表明改进的决心。",
        "en": "Acknowledge the trouble the complaint caused and win back trust. Ask only whether they are satisfied "
              "with how this complaint was handled, nothing else; apologise again for the inconvenience, thank "
              "them for their trust and say what will be improved."},
    "stage.learn": {
        "zh_CN": "在公司内部讨论，统一认识，总结经验，让所有员工吸取教训：有代表性的加入案例库，需要整改的制定改进措施。",
        "en": "Discuss it inside the company, agree on what went wrong and share the lesson with all staff: put an "
              "instructive complaint in the case library and give what needs fixing an improvement action."},
    # The four techniques: when to use them, and phrases to try.
    "technique.empathy": {
        "zh_CN": "客户情绪激动、正在发泄时用：让客户感到你明白他的心情（不是一味附和）。\n“我非常理解您现在的感受。”\n“我能想象您当时有多麻烦。”\n“发生这样的事，我感到很遗憾。”",
        "en": "When the customer is upset and venting: show you understand how they feel (not that you agree with "
              "everything).\n\"I understand how you feel right now.\"\n\"I can imagine how much trouble that "
              "caused you.\"\n\"I am sorry this happened.\""},
    "technique.understanding": {
        "zh_CN": "受理抱怨、商量方案、客户对方案不满意时用：尽快核实事实并道歉，用客户能接受的方式取得谅解；以“同意”代替“反对”。\n说“我很同意您的看法，同时我们也考虑到……”，而不说“您说得有道理，但是……”。",
        "en": "When taking a complaint, agreeing a solution, or when the customer dislikes the solution: check the "
              "facts quickly, apologise, and seek their understanding in a way they can accept; agree rather than "
              "oppose.\nSay \"I agree with you, and we have also considered…\" rather than \"You have a point, "
              "but…\"."},
    "technique.feel_felt_found": {
        "zh_CN": "客户不完全了解产品或政策就抱怨时用。\n感受：“我理解您为什么会这样想。”\n别人的感受：“其他客户也曾有过同样的感受。”\n发现：“经过说明，他们发现这项规定其实是在保护他们的利益。”",
        "en": "When the customer complains without fully knowing the product or the policy.\nFeel: \"I understand "
              "why you feel that way.\"\nFelt: \"Other customers have felt the same.\"\nFound: \"Once it was "
              "explained, they found the rule is there to protect them.\""},
    "technique.guided_inquiry": {
        "zh_CN": "商量方案时主动问客户想要什么，比单方面给方案更容易被接受；要求过高时再进一步沟通或适当关照。\n“我有个建议，您看是否可行？”\n“我们是否可以各退一步？”\n“您希望我们怎么做，您才满意？”",
        "en": "When agreeing a solution, ask what the customer wants: it is accepted more easily than a solution "
              "imposed on them; if the demand is too high, talk further or offer a goodwill gesture.\n\"May I "
              "suggest something?\"\n\"Could we each meet the other halfway?\"\n\"What would we need to do for "
              "you to be satisfied?\""},
}
# The twelve customer types: how they show, how to respond, what to avoid.
_TYPES = {
    "impatient": ("以自我为中心，看问题主观，很忙，不愿等。", "保持冷静，让他看到你在为他努力，帮他冷静下来或转移注意力。", "言语生硬，把客户晾在一边。",
                  "Self-centred, sees things only their way, busy and will not wait.",
                  "Stay calm, let them see you working for them, help them calm down or turn their attention.",
                  "Curt words; leaving them waiting."),
    "pernickety": ("非常仔细、计较，很难说服。", "仔细倾听，回答尽量准确，报价尤其要准。", "一知半解，过于大方，回避或岔开问题。",
                   "Very careful and counts every cost; hard to convince.",
                   "Listen closely, answer as precisely as you can, be exact about prices.",
                   "Half-knowledge, over-generous offers, dodging the question."),
    "dogmatic": ("自以为是，固执己见，好争论，缺乏耐心。", "先沉默倾听，再摆事实、讲道理。", "急躁，不合逻辑或没有证据的反驳。",
                 "Always right, stubborn, argumentative, impatient.",
                 "Listen quietly first, then set out the facts and reason with them.",
                 "Impatience; arguing back without logic or evidence."),
    "talkative": ("以自我为中心，口若悬河，但喜怒无常。", "控制谈话内容，不要走题；客观地纠正，注意方式。", "过分生硬伤其自尊，跟着客户的话题走。",
                  "Self-centred and talks a lot, moods change quickly.",
                  "Steer the conversation and keep to the point; correct them objectively and tactfully.",
                  "Bluntness that hurts their pride; following them off the subject."),
    "show_off": ("显得有风度，喜怒不形于色。", "平常心对待。", "轻视或过分重视。",
                 "Keeps up appearances, hides their feelings.", "Treat them as you would anyone.",
                 "Looking down on them, or making too much of them."),
    "superior": ("高人一等，难以接近。", "保持适当距离，注意措辞，不卑不亢。", "忽视或蔑视，过分谦卑。",
                 "Acts superior, hard to approach.", "Keep a respectful distance, choose your words, be neither "
                 "servile nor proud.", "Ignoring or slighting them; grovelling."),
    "suspicious": ("常说“是吗？”“不会吧？”", "态度诚恳，回答简明，用事实说服，建立信任。", "含糊、不确定的回答。",
                   "Often says \"Really?\" or \"Surely not?\"",
                   "Be sincere, answer briefly, convince with facts, build trust.", "Vague or uncertain answers."),
    "grumbling": ("心理负担重，缺乏幽默，事事不满意。", "耐心、积极，把事情讲清楚、解释明白。", "厌烦和斥责，诉说自己工作的难处。",
                  "Weighed down, humourless, unhappy with everything.",
                  "Be patient and positive; explain things clearly.",
                  "Showing annoyance or scolding; complaining about how hard your job is."),
    "fault_finding": ("要求苛刻，爱发脾气，难以满足。", "保持乐观，合理解释，肯定客户合理的地方。", "置之不理，一味迁就，紧张或缺乏信心。",
                      "Demanding, quick-tempered, hard to satisfy.",
                      "Stay positive, explain reasonably, acknowledge what is fair in what they say.",
                      "Ignoring them, giving in to everything, nerves or lack of confidence."),
    "rude": ("态度蛮横，外表凶。", "礼貌待人，适当幽默，客观公正，重视问题，有进有退。", "针锋相对，一味忍让，挑客户的错。",
             "Overbearing and fierce-looking.",
             "Stay polite, use a little humour, be fair and objective, take the problem seriously, give and take.",
             "Tit for tat; endless retreat; picking on their mistakes."),
    "eloquent": ("精明，话中有话。", "弄清他的目的，抓住关键点。", "全信或全不信。",
                 "Shrewd; says more than the words.", "Find out what they are after and hold on to the key points.",
                 "Believing all of it, or none of it."),
    "nervous": ("丢三落四，语无伦次。", "细致询问，必要时带他到现场看一看。", "嘲笑、怠慢。",
                "Forgetful, confused when speaking.", "Ask patiently and in detail; show them the car or the "
                "workshop if it helps.", "Laughing at them; neglecting them."),
}
for _code, (_signs, _respond, _avoid, _signs_en, _respond_en, _avoid_en) in _TYPES.items():
    DEFAULTS[f"type.{_code}"] = {
        "zh_CN": f"表现：{_signs}\n应对：{_respond}\n忌讳：{_avoid}",
        "en": f"Signs: {_signs_en}\nRespond: {_respond_en}\nAvoid: {_avoid_en}"}


def heading(key):
    """What a text is about, e.g. "Customer type: Impatient" (the admin list, the complaint page)."""
    kind, code = key.split(".", 1)
    names = {"stage": dict(STAGES), "technique": dict(TECHNIQUES), "type": dict(catalog.CUSTOMER_TYPES)}
    kinds = {"stage": _("Stage"), "type": _("Customer type"), "technique": _("Technique")}
    return f"{kinds[kind]}: {names[kind][code]}"


def texts():
    """{key: {language: text}}: the administrator's versions over the defaults."""
    saved = Setting.read("guidance") or {}
    return {key: {lang: (saved.get(key, {}).get(lang) or default[lang]) for lang in LANGUAGES}
            for key, default in DEFAULTS.items()}


def text(key, language, all_texts=None):
    """A text in the language asked for, else in the other one."""
    versions = (all_texts or texts())[key]
    return versions.get(language) or next(v for v in versions.values() if v)


def save(key, versions):
    """The administrator's versions of one text; an empty one falls back to the default."""
    saved = Setting.read("guidance") or {}
    saved[key] = {lang: versions[lang] for lang in LANGUAGES if versions.get(lang) and versions[lang] !=
                  DEFAULTS[key][lang]}
    if not saved[key]:
        del saved[key]
    Setting.write("guidance", saved)


def for_complaint(status, customer_type, language):
    """What the handler should see now: [(heading, text)] for the stages, the customer's type,
    and the techniques that suit the stages."""
    all_texts = texts()
    stages = STAGES_OF_STATUS.get(status, ())
    keys = [f"stage.{code}" for code in stages]
    if customer_type and f"type.{customer_type}" in DEFAULTS:
        keys.append(f"type.{customer_type}")
    keys += [f"technique.{code}" for code in dict.fromkeys(
        t for stage in stages for t in TECHNIQUES_OF_STAGE.get(stage, ()))]
    return [(heading(key), text(key, language, all_texts)) for key in keys]
