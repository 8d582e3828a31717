"""Diagnostics: errors and warnings as values.

Every problem found in the data becomes a ``Diagnostic`` with the file, the
line and column, a stable code and a Chinese message that says how to fix it.
Nothing in loading or validation raises for bad data; each stage returns a list
of diagnostics and the caller decides the exit status.

Codes are stable (tools and tests rely on them): ``E1xx`` files and YAML,
``E2xx`` schema, ``E3xx`` references, ``E4xx`` points and status, ``E5xx``
dates and scope, ``E6xx`` the rule catalogue and policy; ``W`` codes are
warnings (exit 0 unless ``--strict``).

A diagnostic may be created before its line is known (``line == 0`` with a
``pointer`` into the document): ``locate.resolve`` fills in line and column by
reading the file again, which only happens when there is something to report.
"""

from __future__ import annotations

from dataclasses import dataclass

Pointer = tuple[str | int, ...]

# code -> message template. The template names its fields in braces.
MESSAGES: dict[str, str] = {
    # --- files and YAML ---
    "E100": "无法读取文件：{reason}。请确认文件存在并以 UTF-8 编码保存。",
    "E101": "YAML 格式错误：{problem}。请检查这一行的缩进、冒号和引号。",
    "E102": "字段“{key}”在同一处写了两次。请删除多余的一个。",
    "E103": "文件名与编号不符：文件名是“{stem}.yaml”，编号（id）是“{id}”。"
    "请把文件改名为 {id}.yaml，或改正编号。",
    "E104": "缺少文件 {name}：{hint}",
    # --- limits and hazards: what a data file may not hold (yamlio.LIMITS, yamlio.hazards) ---
    "E105": "文件太大：一个数据文件最多 {limit} MB。请把登记分成几个文件，"
    "例如每月一个文件。",
    "E106": "数据文件不能使用 YAML 的锚点和别名（这里是{what}）。请把内容直接写出来。",
    "E107": "列表和映射嵌套超过 {limit} 层。数据文件用不到这么深的嵌套，请检查缩进。",
    "E108": "这个值有 {length} 个字符，超过了 {limit} 个字符的上限。请缩短；长篇材料请存档，"
    "这里只写名称和编号。",
    "E109": "数据文件不能使用 YAML 标签（这里是“{tag}”）。请删除标签；要写文字时，"
    "请加上英文引号，例如 \"007\"。",
    "E110": "数字太长：整数最多 {digits} 位。请核对；要写编号等文字时，请加上英文引号。",
    "E111": "这里有看不见的字符（{char}），它会让文字看起来与实际不同。请删除后重新输入这一处。",
    "E112": "文件中的值超过 {limit} 个。请把登记分成几个文件，例如每月一个文件。",
    "E114": "这个文件还有更多问题没有列出（每个文件最多列出 {limit} 个）。请先改正已列出的问题。",
    "E113": "这里不是普通文件（{what}），不会读取它的内容。数据目录中只能放普通文件：请删除它，"
    "或换成文件本身。",
    "E120": "文件名不是 UTF-8 编码：{name}（无法识别的字节写成了 \\xNN）。这个文件没有读取。"
    "请把它改名为 UTF-8 编码的文件名（例如用 git mv 改名）后再提交。",
    # --- schema ---
    "E201": "缺少必填字段“{field}”（{description}）。请补上。",
    "E202": "未知字段“{field}”。请检查拼写；这里允许的字段有：{allowed}。",
    "E203": "字段“{field}”应为{expected}，这里是{actual} {value}。{hint}",
    "E204": "字段“{field}”的值 {value} 不在允许范围内。可选的值：{allowed}。",
    "E205": "字段“{field}”的格式不对：{value}。{hint}",
    "E206": "日期 {value} 不存在。请核对年、月、日。",
    "E207": "字段“{field}”不能为空。",
    "E208": "字段“{field}”不符合要求：{detail}。",
    # --- references and identity ---
    "E301": "编号“{id}”重复：{other} 已经使用了这个{kind}编号。请换一个不重复的编号。",
    "E302": "党支部“{id}”不存在。请使用 data/organization.yaml 中登记的党支部编号。",
    "E303": "党员“{id}”不存在。请核对编号，或先在 data/members/ 中建立该党员的档案。",
    "E304": "规则“{code}”不存在于《{catalogue}》中。请核对 data/rules/ 中的规则编号。",
    "E305": "规则“{code}”在 {date} 不在有效期内（有效期：{periods}）。请核对日期。",
    "E306": "党总支“{id}”不存在。请先在 data/organization.yaml 的 general_branches 中登记。",
    "E307": "只有流动党支部的党员才填写 transfer_to（拟转入的村(居)党支部）。请删除这个字段。",
    "E308": "transfer_to 应是村(居)党支部（kind: village），“{id}”是{kind_name}。",
    "E309": "本文件只登记党支部“{file_branch}”的{what}，但{subject}属于党支部“{branch}”。"
    "请把它移到该支部的文件中。",
    "E310": "一票否决规则“{code}”不存在于任何积分标准中。请核对 data/policy.yaml 的 veto_rules。",
    "E311": "文件在党支部“{folder}”的文件夹中，但 branch 写的是“{branch}”。"
    "请把文件移到 {branch} 的文件夹，或改正 branch。",
    "E312": "党员档案在党支部“{folder}”的文件夹中，但 branch 是“{branch}”。"
    "请把文件移到 members/{branch}/（转出转入时须同时移动文件）。",
    "E313": "被更正的登记“{id}”不存在。请核对 corrects 中的登记编号。",
    "E314": "登记“{id}”已由更正“{other}”撤销，不能再次更正。",
    "E315": "党支部“{branch}”的 {quarter} 尚未审定公示（data/closes/{branch}/{quarter}.yaml 不存在），"
    "不能对它提出异议。请核对党支部和季度。",
    "E316": "{problem}",
    "E317": "{quarter} 已于 {meeting} 经支委会审定公布，之后 {member}（{name}）在该季度的登记被改动"
    "（公布积分 {published}，现在计算为 {now}）。已公布的积分不能改动：请恢复原登记；"
    "如确有错误，请在未审定的季度登记更正（corrections，写明 corrects: 登记编号）。",
    "E318": "{quarter} 已于 {meeting} 经支委会审定公布，之后该季度的会议考勤登记被改动。"
    "请恢复原登记；如确有错误，请在未审定的季度登记更正。",
    "E319": "党支部“{branch}”在 {date} 已登记会议“{other}”（{title}）。同一天的第二次会议通常是重复登记，"
    "考勤会被扣两次分：请删除这一次；如确是当天的另一次会议，请在这次会议中写 separate: true。",
    # --- points and status ---
    "E401": "规则 {code}（{name}）是{kind_name}，分值应为{sign}数，这里是 {points}。",
    "E402": "规则 {code}（{name}）的分值应在 {lo} 到 {hi} 之间，这里是 {points}。",
    "E403": "规则 {code}（{name}）的分值固定为 {fixed}，这里是 {points}。可以不填 points。",
    "E404": "规则 {code}（{name}）的分值是 {lo} 到 {hi} 的范围，请用 points 填写本次的分值。",
    "E405": "加分须有书面记录依据：请填写 evidence（例如：志愿服务签到表 2025-03-05）。",
    "E406": "规则 {code}（{name}）每年只计一次，{member} 在 {year} 年已有登记“{other}”。"
    "如确属重复，请删除其中一条，或将其作废（status: void，并填写 void_reason）。",
    "E407": "{kind_name}的状态不能是“{status}”。{allowed}",
    "E408": "加分须填写状态 status：declared（个人申报）、verified（支部核实）"
    "或 approved（党工委审定）。",
    "E409": "作废的登记须填写作废原因 void_reason。",
    "E411": "党工委审定的加分须写明审定人和审定日期：请填写 approved_by 和 approved_on。",
    "E412": "审定日期 {approved_on} 早于登记日期 {date}。请核对。",
    "E413": "加分须登记在 data/additions/{branch}/ 中，由党工委审核（见 jifen codeowners）；"
    "data/events/ 只登记扣分。请把这条登记移过去，或用 jifen add event 登记。",
    "E414": "登记“{id}”{why}，不计分，不需要更正。{hint}",
    "E415": "{problem}",
    "E416": "更正加分须登记在 data/additions/ 中，由党工委审核（加分的改动都须党工委审定）。"
    "请把这条更正移过去。",
    "E417": "{problem}",
    "E421": "党工委直接扣分只能用于 policy.yaml 的 direct_rules 列出的扣分项（这里是 {code}；可用：{allowed}）。"
    "其他登记请由党支部登记在 data/events/ 或 data/additions/ 中。",
    "E418": "加分“{id}”在 {quarter} 审定公布（{meeting}）后才审定，审定日期 {approved_on} "
    "已在下一年度，不能再计入 {year} 年度。请作废这条登记（status: void，填写 void_reason）。",
    "E410": "规则 {code}（{name}）由会议考勤自动计算，不能手工登记。"
    "请在 data/meetings/ 的会议中登记缺席、请假、迟到或早退。",
    "E419": "{problem}",
    "E420": "党工委已于 {decided} 作出 {year} 年度的认定和决定（nominations/{year}.yaml），之后不能再更正 "
    "{year} 年度的登记。请把更正意见报党工委：需要改变 {year} 年度结果的，由党工委重新研究并改正 "
    "nominations/{year}.yaml 中的认定和决定（登记新的日期）后，再登记这条更正（更正日期须早于党工委的决定）；"
    "不改变年度结果的，不再更正。",
    # --- dates and scope ---
    "E501": "日期 {date} 晚于今天（{today}），不能登记未来的事项。请核对日期。",
    "E502": "{member}（{name}）自 {start} 起暂不列入积分制管理，{date} 不能{what}。",
    "E503": "{member}（{name}）属于党支部“{branch}”，不是本次会议的党支部“{meeting_branch}”。",
    "E504": "{member} 在同一次会议中同时列在 {a} 和 {b} 中。请只保留一处。",
    "E505": "暂不列入积分制管理的截止日期 {until} 早于开始日期 {start}。",
    "E506": "{member}（{name}）在 {date} 不在积分制管理范围内：{why}。这一天的{what}不能登记给该党员。"
    "请核对日期和党员；如档案有误，请改正档案中的 joined_on 或 left。",
    "E507": "{field} 的最后一项是“{last}”，与 {key} 的“{current}”不一致：{key} 是现在的{what}，"
    "变动列表的最后一项须与它相同。请在 {field} 末尾补上最近的变动，或改正 {key}。",
    "E508": "{problem}",
    "E509": "{member}（{name}）在 {date} 属于党支部“{branch}”，不属于党支部“{other}”"
    "（档案中的 branches 和组织关系转接）：{what}。请核对日期，或核对档案中所在党支部的变动。",
    # --- rule catalogue and policy ---
    "E601": "规则 {code} 的两个版本有效期重叠（第 {a} 条与第 {b} 条）。"
    "请把旧版本的 until 设为新版本 from 的前一天。",
    "E602": "规则 {code} 须填写 points（固定分值）或 range（分值范围）之一，且只能填一个。",
    "E603": "规则 {code} 是{kind_name}，分值应为{sign}数。",
    "E604": "规则 {code} 的 range 应写成 [较小值, 较大值]，例如 [-20, -10]。",
    "E606": "党支部类型 {kind} {problem}。请检查 data/rules/ 中各标准的 applies_to。",
    "E607": "规则 {code} 的有效期截止日期 {until} 早于开始日期 {start}。",
    "E609": "policy.yaml 的 catalogues 为 {kind} 指定的积分标准“{id}”{problem}。请核对 data/rules/ 中的 catalogue 编号和 applies_to。",
    "E610": "policy.yaml 的 direct_rules：{what}。请核对。",
    "E608": "{field} 只能用于由考勤计算的请假规则（attendance: leave），且考勤规则须有固定分值。",
    # --- laggard cases (后进党员教育处置) ---
    "E701": "案件“{id}”：{missing}尚未登记，不能先登记{step}。请按程序顺序逐步登记。",
    "E702": "案件“{id}”：{step}的日期 {date} 早于{earlier}的日期 {earlier_date}。请核对日期。",
    "E703": "{problem}",
    "E704": "支委会应到 {expected} 人、实到 {present} 人：实到人数须超过应到人数的一半，且不多于应到人数，"
    "集体决议才有效。请核对人数。",
    "E705": "{problem}",
    "E706": "关系转出须转入党性教育党支部（kind: education），“{id}”不是。",
    "E707": "{member}（{name}）的组织关系{where}，党员档案的 branch 应为“{branch}”，现在是“{current}”。"
    "请把档案移到 members/{branch}/ 并改正 branch。",
    "E708": "{member}（{name}）在 {quarter} 季末的积分是 {score}，不低于 {threshold} 分，不能按后进党员处置。"
    "请核对季度和党员。",
    "E709": "{problem}",
    "E710": "{problem}",
    "E711": "{problem}",
    "E712": "案件“{id}”由党工委直接认定（direct: true），但 {member} 在 {quarter} 季末之前没有党工委直接扣分的登记"
    "（data/direct/）。直接认定须以党工委直接扣分亮分为依据。",
    # --- year-end selection: 优秀党员 and the 党工委's decisions (generator/nominations.py) ---
    "E801": "{year} 年度尚未结束（今天是 {today}），不能登记该年度的优秀党员评选和积分运用决定。"
    "请在年度结束后登记，或核对 year。",
    "E802": "这个文件应放在 {expected}（{what}，文件名即年度）。请移动文件，或改正 year、branch。",
    "E803": "{problem}",
    "E804": "{member}（{name}）不符合 {year} 年度优秀党员条件：{reason}。"
    "优秀党员从年度积分 {threshold} 分以上、未被一票否决的党员（含预备党员）中评选。请从名单中删除。",
    "E805": "{member}（{name}）属于党支部“{branch}”，不能由党支部“{file_branch}”推荐。"
    "请删除，由其所在党支部在 nominations/{branch}/{year}.yaml 中推荐。",
    "E806": "{problem}",
    "E807": "{problem}",
    "E808": "党工委认定了 {count} 名优秀党员，超过政策规定的比例：excellent_share 为 {share}，"
    "{year} 年度参加积分的党员 {total} 人，最多认定 {limit} 人。请减少认定人数，或报党工委修改 "
    "data/policy.yaml 的 excellent_share。",
    "E809": "{member} 在{where}中重复出现。请只保留一处。",
    "E810": "{member}（{name}）不在 {year} 年度“{action_name}”名单中：{why}（名单：{rule}）。"
    "请核对 member 和 action。",
    # --- the private store (联系电话, 身份证号码: outside the data set, never in Git) ---
    "E901": "找不到私密信息文件 {path}（{source}）：联系电话和身份证号码只保存在本机，不提交到 Git、"
    "不公开。请按仓库根目录的 private.example.yaml 建立这个文件（默认位置是仓库根目录下的 "
    "private/members.yaml），或用 --private 文件 / 环境变量 JIFEN_PRIVATE 指定它的位置。",
    "E902": "{member}的身份证号码格式不对：应为 18 位，前 17 位是数字，最后一位是数字或大写字母 X"
    "（这里有 {length} 个字符）。请与身份证核对。",
    "E903": "{member}的身份证号码校验码（第 18 位）不对：按前 17 位计算应为 {expected}。"
    "号码可能抄错了，请与身份证核对。",
    "E904": "{member}的身份证号码第 7 至 14 位应是出生日期（年月日），这里不是有效的日期"
    "（须是存在的日期，在 1900-01-01 与今天之间）。请与身份证核对。",
    "E905": "{member}的联系电话格式不对。可以写：手机号（11 位数字，以 13 至 19 开头），或固定电话"
    "“区号-号码”（区号以 0 开头共 3 至 4 位，号码 7 至 8 位，例如 0571-12345678、010-12345678，"
    "连字符可省略）。请不要加空格、括号或 +86。",
    "E906": "党员“{member}”不存在。请核对编号（见数据目录的 members/）；已不在册的党员，请删除这一项。",
    "E907": "党员“{member}”在私密信息文件中出现了两次（第一次在第 {first} 行）。请合并为一项。",
    "E908": "姓名“{name}”与党员档案 {member} 的姓名“{actual}”不符。请核对编号是否写错。",
    "E909": "私密信息文件 {path} 在 Git 仓库中，{state}：联系电话和身份证号码不得提交到 Git。"
    "请把它放在仓库根目录的 private/ 文件夹中（.gitignore 已排除 /private/）或仓库之外{fix}。",
    # --- the web forms' settings (forms.yaml at the repository root, generator/decap.py) ---
    "E950": "网页表单连接 {forge_name} 时必须填写 {field}：{why}。请按 README“网页表单登记（不用 Git）”"
    "一节补上。",
    "E951": "Gitea 的网页表单不能发起合并请求，登记会直接提交到 branch 指定的分支（这里是“{branch}”）。"
    "请把 branch 设为单独的登记分支（例如 registrations），再在 Gitea 上发起一个从它到 main 的"
    "合并请求，由审核人审核合并；使用 Forgejo 时请改写 forge: forgejo。",
    # --- warnings ---
    "W101": "流动党支部党员未填写 transfer_to（拟转入的村(居)党支部）。"
    "年度积分是转入的依据，建议补上。",
    "W102": "加分申报“{id}”（{date}）已超过 {days} 天仍未审定（当前：{status_name}）。"
    "未审定的加分不计分，请尽快核实并报党工委审定。",
    "W103": "暂不列入积分制管理的审批日期 {approved_on} 晚于生效日期 {start}。请核对。",
    "W104": "登记“{id}”与“{other}”的党员、规则和日期都相同，可能重复登记。请核对。",
    "W106": "异议提出日期 {raised_on} 不在公示期（{start} 至 {until}）内。请核对日期。",
    "W107": "登记“{id}”所在的 {quarter} 尚未审定公示，可以直接修改或作废这条登记，不必更正。",
    "W108": "异议“{id}”在公示期结束（{until}）后仍未处理。请尽快处理并登记结果（outcome）。",
    "W301": "案件“{id}”：{month} 的帮教转化情况汇报尚未登记（rectification.reports）。",
    "W302": "案件“{id}”：整改期已于 {deadline} 期满，尚未登记党支部决议（resolutions）。",
    "W304": "案件“{id}”：{month} 的闪光言行考评组织生活会和党员测评结果尚未登记"
    "（rectification.reports 中的 evaluation_meeting 和 evaluation）。",
    "W305": "案件“{id}”：整改期已于 {deadline} 期满，尚未登记本人转化合格的申请（rectification.application）。",
    "W306": "案件“{id}”：党员大会评定（{date}）之前没有登记党性教育党支部的审核"
    "（resolutions 中的 education_review）。",
    "W303": "案件“{id}”：党支部决议（{date}）后已超过 {days} 天，尚未登记党工委审批（approval）。",
    "W109": "这个文件不会被读取：{why}。{fix}",
    "W110": "村(居)党支部（{branches}）按《{title}》计分。办法附件2提到另有《党员积分量化管理标准（村、居）》："
    "请把党工委的村(居)标准登记在 data/rules/ 中（standard: village），并在 policy.yaml 的 catalogues 中"
    "指定 village 用它。",
    "W401": "{branch}：{month} 没有召开主题党日（没有会议记录）。办法要求每月党日活动时集中考评登记；"
    "请补登当月会议，或向党工委说明原因。",
    "W402": "{branch}：{month} 没有任何积分登记（考勤、加分、扣分）。请核对是否漏登。",
    "W403": "{branch}：{quarter} 应在 {due} 前经支委会审定（季度结束后 {days} 天内，党工委规定），"
    "现在还没有审定或审定晚了。请尽快召开支委会审定并公示（jifen close）。",
    "W404": "{quarter} 的公示期不足 {days} 天。请按党工委规定的公示期公示。",
    "W405": "{branch} 没有指定登记专人（organization.yaml 的 registrars）。办法要求“各党支部要指定专人"
    "负责党员积分量化考评登记工作”。",
    "W105": "填写了 void_reason，但状态不是 void，这条登记仍然有效。如要作废，请加上 status: void。",
    # --- year-end selection warnings (generator/nominations.py) ---
    "W201": "{member}（{name}）在 {year} 年度“{action_name}”名单中，党工委已开始登记该年度的认定和决定，"
    "但没有对其的决定。请在 decisions 中补上（member、action、date）。",
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in one place. ``line``/``col`` are 1-based; 0 means not yet known."""

    path: str
    code: str
    message: str
    line: int = 0
    col: int = 0
    pointer: Pointer = ()

    @property
    def is_error(self) -> bool:
        return self.code.startswith("E")

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "severity": "error" if self.is_error else "warning",
            "message": self.message,
        }

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.message)


def shown_path(path: str) -> str:
    """A file name for a message: bytes that are not UTF-8 (kept by ``surrogateescape``, as
    Python names such files) written as ``\\xNN``."""
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # not a name from the file system or from Git
        return path.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def diag(
    code: str,
    path: str,
    pointer: Pointer = (),
    /,
    *,
    line: int = 0,
    col: int = 0,
    **fields: object,
) -> Diagnostic:
    """Build a diagnostic from the message catalogue."""
    return Diagnostic(path, code, MESSAGES[code].format(**fields), line, col, pointer)
