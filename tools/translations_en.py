"""English for the client's Chinese source strings: what ``tools/translations.py`` fills into a new message.

The .ts (``resources/i18n/bideval_en.ts``) is the source of truth: a message that already has English keeps
it (run ``tools/translations.py --refill`` to overwrite it from here). To translate new strings, run
``tools/translations.py --untranslated``, paste its lines into ``ENGLISH`` and write the English, then
``make translations``.

Terms follow /work/shared/DOMAIN.md: 评标专家 evaluation expert, 监督人员 supervisor, 组长 committee leader,
初步评审 preliminary review, 详细评审 detailed review, 汇总 summary, 评标报告 evaluation report, 回避
recusal, 澄清 clarification, 流标 failed tender, 签到 check-in, 承诺书 pledge, 投标人 bidder, 评标基准价
evaluation base price, 暂停 pause. Placeholders (``%1``, ``%n``, ``{name}``, ``%p%``) and leading/trailing
spaces must stay: the code concatenates and substitutes around them.

A numerus message (called with a count, ``%n``) takes a (singular, plural) pair; a single text is used for
both.
"""

# A table of Chinese → English: Chinese characters count double towards the line length, and keeping each
# pair on one line keeps the table greppable.
# ruff: noqa: E501

from __future__ import annotations

English = str | tuple[str, str]

ENGLISH: dict[str, English] = {
    " (中标候选人)": " (recommended candidate)",
    " (组长)": " (committee leader)",
    " (组长) 申请开始评标": " (committee leader) asked to start the evaluation",
    " 与监督人员 ": " and supervisor ",
    " 为组长": " as committee leader",
    " 修正后重新提交详细评审": " corrected and resubmitted the detailed review",
    " 声明与投标人无利害关系": " declared no conflict of interest with any bidder",
    " 对评分偏离作出书面说明: ": " explained a score deviation in writing: ",
    " 已推荐 %1 名。": " %1 recommended.",
    " 已签到": " checked in",
    " 已签署评标报告 (同意)": " signed the evaluation report (agrees)",
    " 已阅读并确认承诺书": " read and confirmed the pledge",
    " 投票推选 ": " voted for ",
    " 排名尚未确定。": " The ranking is not decided yet.",
    " 提交初步评审": " submitted the preliminary review",
    " 提交详细评审 (评分已密封)": " submitted the detailed review (scores sealed)",
    " 签到": " check-in",
    " 资格审查不合格: ": " fails the qualification review: ",
    "<b>价格分计算</b>": "<b>Price score calculation</b>",
    "<b>各投标人得分</b>": "<b>Scores per bidder</b>",
    "<b>各投标人得分</b> (鼠标停留查看各专家评分)": "<b>Scores per bidder</b> (hover to see each expert's scores)",
    "<b>排名</b>": "<b>Ranking</b>",
    "<b>推荐中标候选人及排名</b>": "<b>Recommended candidates and ranking</b>",
    "<b>澄清</b>": "<b>Clarifications</b>",
    "<b>签署意见</b>": "<b>Signature</b>",
    "<b>评标委员会进度</b>": "<b>Committee progress</b>",
    "<h3>初步评审</h3>": "<h3>Preliminary review</h3>",
    "<h3>回避声明</h3>": "<h3>Recusal declaration</h3>",
    "<h3>推选评标委员会组长</h3>": "<h3>Elect the committee leader</h3>",
    "<h3>汇总</h3>": "<h3>Summary</h3>",
    "<h3>流标</h3>": "<h3>Failed tender</h3>",
    "<h3>等待开始评标</h3>": "<h3>Waiting for the evaluation to start</h3>",
    "<h3>签到</h3>": "<h3>Check-in</h3>",
    "<h3>评标报告</h3>": "<h3>Evaluation report</h3>",
    "<h3>评标纪律承诺书</h3>": "<h3>Evaluation discipline pledge</h3>",
    "<h3>评标结束</h3>": "<h3>Evaluation closed</h3>",
    "<h3>详细评审</h3>": "<h3>Detailed review</h3>",
    "PIN 码": "PIN",
    "SHA-256 指纹": "SHA-256 fingerprint",
    "SHA-256 指纹：": "SHA-256 fingerprint: ",
    "… 未签署": "… not signed",
    "⚑ 待说明": "⚑ explanation due",
    "✓ 合格": "✓ Pass",
    "✓ 已签署": "✓ Signed",
    "✓ 已说明": "✓ Explained",
    "✗ 不合格（请填写理由）": "✗ Fail (enter a reason)",
    "✗ 不合格：": "✗ Fail: ",
    "✗ 须填理由": "✗ Reason required",
    "「{text}」不是有效的分数": "“{text}” is not a valid score",
    "上一个": "Previous",
    "上一项决定正在同步到服务器…": "The previous decision is being synced to the server…",
    "上次同步: ": "Last sync: ",
    "上次同步: %1": "Last sync: %1",
    "下一个": "Next",
    "下浮前基准价: ": "Base price before reduction: ",
    "下浮系数 (浮动点): ": "Reduction factor (float point): ",
    "下载中 %p%": "Downloading %p%",
    "不一致": "Mismatch",
    "不合格理由为必填项，填写前不会提交": "A reason is required for a fail; it is not submitted until one is entered",
    "不合格理由：": "Reason for fail: ",
    "不合格项": "Failed items",
    "不同意 (须书面说明不同意见和理由)": "Disagree (state the dissent and reasons in writing)",
    "不同意时须书面说明不同意见和理由": "A dissent must state its opinion and reasons in writing",
    "不同意见及理由": "Dissent and reasons",
    "不批准": "Refuse",
    "不批准回退": "Refuse the return",
    "不批准回退须填写意见": "A note is required to refuse the return",
    "不批准开始须填写意见": "A note is required to refuse the start",
    "不批准澄清须填写意见": "A note is required to refuse the clarification",
    "不能确定排名: ": "Cannot decide the ranking: ",
    "不通过": "Fail",
    "不通过理由：": "Reason for fail: ",
    "两次输入的 PIN 码不一致": "The two PINs entered do not match",
    "主场": "Main venue",
    "书面澄清问题（不得暗示或诱导投标人，不接受投标人主动澄清）": (
        "Written clarification question (must not hint at or lead the bidder; "
        "unsolicited clarifications from bidders are not accepted)"
    ),
    "书面说明评分理由 (必填)": "Written reasons for the score (required)",
    "价格分": "Price score",
    "价格分由系统计算，不能输入": "The price score is calculated by the system and cannot be entered",
    "保存": "Save",
    "信用状况": "Credit record",
    "候补专家": "Alternate expert",
    "候补专家 %2 替换 %1": "Alternate expert %2 replaces %1",
    "候补专家替换": "Replace with an alternate expert",
    "偏差率 (%)": "Deviation rate (%)",
    "偏离平均分 ": "Deviates from the average ",
    "全屏锁定": "Full-screen lock",
    "全屏锁定（退出需考场工作人员 PIN 码）": "Full-screen lock (leaving needs the venue staff PIN)",
    "全部下载": "Download all",
    "全部文件已下载并加密保存在本机，可离线查看。": (
        "All files are downloaded and stored encrypted on this computer; they can be viewed offline."
    ),
    "其他专家的评分偏离: ": "Other experts' score deviations: ",
    "其余未评项均为合格": "Mark all remaining items as pass",
    "再次输入 PIN 码": "Enter the PIN again",
    "决定专家回避": "Decide an expert's recusal",
    "决定回避": "Decide recusal",
    "决定回避须填写理由": "A reason is required to decide a recusal",
    "凭证与本考场配置的平台证书不一致，请联系考场工作人员：": (
        "The credential does not match the platform certificate configured for this venue; "
        "contact the venue staff: "
    ),
    "分值范围 {min}–{max}，步长 {step}": "Score range {min}–{max}, step {step}",
    "初步评审已结束。": "The preliminary review is over.",
    "初步评审结果（少数服从多数）": "Preliminary review result (majority decides)",
    "初步评审结论形成": "Preliminary review conclusion reached",
    "副场": "Sub-venue",
    "去掉的报价: ": "Prices excluded: ",
    "参与基准价计算": "Counts towards the base price",
    "发起澄清": "Ask for clarification",
    "取消": "Cancel",
    "取用偏差率 (%)": "Deviation rate used (%)",
    "只有在「等待开始」步骤才能批准开始": "The start can only be approved at the “waiting to start” step",
    "只有在初步评审或详细评审中才能审批澄清": (
        "Clarifications can only be approved during the preliminary or detailed review"
    ),
    "只有组长在评审阶段可以发起澄清": "Only the committee leader can ask for clarification, during the review",
    "只能在所有专家提交详细评审后汇总": (
        "The summary can only run after every expert has submitted the detailed review"
    ),
    "只能在汇总阶段说明": "Explanations can only be given during the summary",
    "只能在评标报告阶段签署": "Signing is only possible at the evaluation report step",
    "只能对已完成的汇总申请更正": "A correction can only be requested for a completed summary",
    "可以确认。": "You can confirm now.",
    "各专家评分:": "Scores by expert:",
    "各项得分之和（只读）": "Sum of the item scores (read-only)",
    "合计": "Total",
    "同意": "Agree",
    "同意回退": "Approve the return",
    "同意开始评标": "Approve the start of the evaluation",
    "名次": "Rank",
    "向投标人发起澄清（组长）:": "Ask a bidder for clarification (committee leader):",
    "否": "No",
    "否决": "Reject",
    "否决投标:": "Rejected bids:",
    "响应性评审": "Responsiveness review",
    "回退审批": "Return approval",
    "回退理由 (必填)": "Reason for the return (required)",
    "回避: ": "Recusal: ",
    "回避与替换": "Recusal and replacement",
    "回避理由 (必填)": "Reason for the recusal (required)",
    "在列表中选择两份投标文件，并排查看": "Select two bid documents in the list to view them side by side",
    "在文档中查找…": "Find in document…",
    "在有效范围内": "Within the valid range",
    "填写并列排序时须注明招标文件规定的排序规则": (
        "An order for tied bidders must name the ordering rule in the tender documents"
    ),
    "声明无利害关系": "Declare no conflict of interest",
    "声明需要回避": "Declare grounds for recusal",
    "审计日志校验失败: ": "Audit log verification failed: ",
    "审计日志见证": "Audit log witness",
    "客户端版本过旧，请联系考场工作人员安装新版本": (
        "This client version is too old; contact the venue staff to install a new version"
    ),
    "客观分评分不一致 (须由组长申请更正): ": (
        "Objective scores disagree (the committee leader must request a correction): "
    ),
    "客观分评分不一致: 须按87号令第64条申请更正": (
        "Objective scores disagree: a correction must be requested under Order No. 87, Article 64"
    ),
    "客观分评分不一致，须申请更正: ": "Objective scores disagree; a correction must be requested: ",
    "尚未汇总": "Not summarised yet",
    "工作人员 PIN 码": "Staff PIN",
    "工作人员可运行 bideval --configure 重新配置。": "Staff can run bideval --configure to configure it again.",
    "已下载 %p%，待续传": "Downloaded %p%, will resume",
    "已保存：": "Saved: ",
    "已回避的专家": "Recused expert",
    "已声明。": "Declared.",
    "已就绪": "Ready",
    "已批准，已发给投标人，待答复": "Approved, sent to the bidder, awaiting the answer",
    "已提交。": "Submitted.",
    "已提交，不能再修改": "Submitted; it can no longer be changed",
    "已有评审回退申请等待监督人员决定": "A return request is already waiting for the supervisor's decision",
    "已核验的日志树头: %1 条记录; 本人已联署树头: %2 个": (
        "Verified log tree head: %1 entries; tree heads I have cosigned: %2"
    ),
    "已登录: ": "Signed in: ",
    "已确认承诺书。": "Pledge confirmed.",
    "已签到。": "Checked in.",
    "已签到的专家:": "Experts checked in:",
    "已说明": "Explained",
    "已连接": "Connected",
    "已连接 (connected)": "Connected",
    "平台根证书": "Platform root certificate",
    "平台根证书文件有误：": "The platform root certificate file is invalid: ",
    "平均 ": "Average ",
    "并列处理": "Ties",
    "并列投标人的排序，如 B03,B01": "Order of the tied bidders, e.g. B03,B01",
    "并列排序:": "Tie order:",
    "并排对比": "Side by side",
    "开始与暂停": "Start and pause",
    "开始推选组长, 第 %1 轮": "Committee leader election started, round %1",
    "开始评标": "Start the evaluation",
    "开标记录": "Bid opening record",
    "开标记录中无该投标文件的指纹": "The bid opening record has no fingerprint for this bid document",
    "当前不能提交（已暂停或正在同步）": "Cannot submit now (paused or syncing)",
    "当前步骤: ": "Current step: ",
    "当前步骤不能申请回退": "A return cannot be requested at the current step",
    "当前阶段: ": "Current phase: ",
    "当选组长: %1": "Elected committee leader: %1",
    "形式评审": "Formal review",
    "待监督人员批准": "Awaiting the supervisor's approval",
    "待说明": "Explanation due",
    "总分": "Total score",
    "恢复评标": "Resume the evaluation",
    "恢复评标须填写理由": "A reason is required to resume the evaluation",
    "您已签署": "You have signed",
    "您已签署评标报告。": "You have signed the evaluation report.",
    "您有 %1 项评分偏离尚未说明，组长须待全部说明后才能确定排名。": (
        "You have %1 score deviation(s) not yet explained; the committee leader can decide the ranking "
        "only when all are explained."
    ),
    "意见 (不批准时必填)": "Note (required to refuse)",
    "我已阅读并同意 (agree)": "I have read and agree",
    "我的评分偏离 (须书面说明)": "My score deviations (to be explained in writing)",
    "我知悉：拒绝签字且不说明理由的，视为同意评标结论。如有理由，请选择“不同意”。": (
        "I understand: refusing to sign without giving reasons counts as agreeing with the evaluation "
        "conclusion. If you have reasons, choose “Disagree”."
    ),
    "所有专家已提交详细评审，": "All experts have submitted the detailed review, ",
    "所有专家已提交详细评审，等待组长 %1 汇总。": (
        "All experts have submitted the detailed review; waiting for committee leader %1 to run the summary."
    ),
    "扣分": "Deductions",
    "扣分：": "Deductions: ",
    "批准发出": "Approve and send",
    "批准回退": "Approve the return",
    "批准开始": "Approve the start",
    "把尚未评审的单元格全部设为合格（已评的不变）": (
        "Set every cell not yet reviewed to pass (cells already reviewed stay as they are)"
    ),
    "投标人": "Bidder",
    "投标人 %1 · %2 %3: 您的评分 %4，各专家平均分 %5，允许范围 %6 (平均分 ± %7%)": (
        "Bidder %1 · %2 %3: your score %4, the experts' average %5, allowed range %6 (average ± %7%)"
    ),
    "投标人已答复": "The bidder has answered",
    "投标人答复澄清问题 %1": "The bidder answered clarification question %1",
    "投标报价": "Bid price",
    "投标文件": "Bid documents",
    "投票 (vote)": "Vote",
    "投票推选组长": "Voted for the committee leader",
    "拒绝签字": "Refuse to sign",
    "招标文件": "Tender documents",
    "招标文件规定的排序规则 (仅在总分和报价均相同时需要)": (
        "Ordering rule from the tender documents (needed only when total score and price are both equal)"
    ),
    "持有人": "Holder",
    "指纹与开标记录一致": "The fingerprint matches the bid opening record",
    "指纹与开标记录不一致！请勿依据此文件评审，并报告监督人员": (
        "The fingerprint does not match the bid opening record! Do not evaluate from this file; "
        "report it to the supervisor"
    ),
    "指纹已校验": "Fingerprint verified",
    "排序规则:": "Ordering rule:",
    "推荐": "Recommended",
    "推选组长票数相同, 进入下一轮": "Committee leader election tied; next round",
    "提交": "Submit",
    "提交初步评审": "Submit the preliminary review",
    "提交后不能再修改": "It cannot be changed after submitting",
    "提交后不能再修改初步评审结果。其中不合格 %n 项。确定提交吗？": (
        "The preliminary review cannot be changed after submitting. It has %n failed item. Submit it?",
        "The preliminary review cannot be changed after submitting. It has %n failed items. Submit it?",
    ),
    "提交回避声明 (declare grounds)": "Submit the recusal declaration",
    "提交评分偏离说明": "Submitted a score deviation explanation",
    "提交详细评审": "Submit the detailed review",
    "提交说明": "Submit the explanation",
    "提出澄清问题 %1": "Asked clarification question %1",
    "操作未被接受: ": "The action was not accepted: ",
    "放大": "Zoom in",
    "数字证书文件": "Digital certificate file",
    "数据目录不可写，请联系考场工作人员：": "The data folder is not writable; contact the venue staff: ",
    "文件": "File",
    "文件「%1」下载中断：": "Download of file “%1” interrupted: ",
    "文件「%1」无法打开": "File “%1” cannot be opened",
    "文件列表尚未载入，请稍候再试。": "The file list has not loaded yet; try again in a moment.",
    "方向键选择单元格，空格键切换 合格/不合格；不合格时须在单元格内填写理由（回车确认）。": (
        "Arrow keys select a cell, Space toggles pass/fail; a fail needs a reason typed in the cell "
        "(Enter to confirm)."
    ),
    "无": "None",
    "无上限": "No upper limit",
    "无下限": "No lower limit",
    "无利害关系 (no conflict)": "No conflict of interest",
    "无否决投标。": "No bids rejected.",
    "无法保存考场配置，请以管理员身份运行配置程序：": (
        "Cannot save the venue configuration; run the configuration as an administrator: "
    ),
    "无法打开该文档：文件已损坏或不是 PDF 格式。请勿依据此文件评审，并联系项目负责人。": (
        "Cannot open this document: the file is damaged or not a PDF. Do not evaluate from this file; "
        "contact the project officer."
    ),
    "无法识别「{text}」；请输入 1/y/通过/是 或 0/n/不通过/否": (
        "Cannot read “{text}”; enter 1/y/通过/是 or 0/n/不通过/否"
    ),
    "无法识别扣分「{part}」；格式为「扣分 理由」，例如「0.5 通报批评」": (
        "Cannot read the deduction “{part}”; the form is “points reason”, e.g. “0.5 通报批评”"
    ),
    "无法读写本地文件：": "Cannot read or write local files: ",
    "无法读取": "Cannot read",
    "无法读取已保存的评审结果: ": "Cannot read the saved review results: ",
    "无法读取文件列表：": "Cannot read the file list: ",
    "无法连接评标服务器，请检查网络或服务器地址：": (
        "Cannot reach the evaluation server; check the network or the server address: "
    ),
    "是": "Yes",
    "暂停与恢复": "Pause and resume",
    "暂停或恢复的理由 (必填)": "Reason for pausing or resuming (required)",
    "暂停评标": "Pause the evaluation",
    "暂停评标须填写理由": "A reason is required to pause the evaluation",
    "暂无澄清。": "No clarifications yet.",
    "更正 (87号令第64条):": "Correction (Order No. 87, Article 64):",
    "更正理由 (必填)": "Reason for the correction (required)",
    "最多推荐 %1 名中标候选人；总分相同时报价低者优先，再按招标文件规定的规则。": (
        "Recommend at most %1 candidate(s); on equal total scores the lower price ranks first, then the "
        "rule in the tender documents."
    ),
    "最近一次核验失败: ": "Last verification failed: ",
    "有 %n 项未被服务器接受，请重新评审": (
        "%n item was not accepted by the server; review it again",
        "%n items were not accepted by the server; review them again",
    ),
    "有效报价范围: ": "Valid price range: ",
    "服务器上没有评标会话": "There is no evaluation session on the server",
    "服务器地址": "Server address",
    "服务器暂时无法连接：显示本机已缓存的文件，已下载的文件可离线查看。": (
        "The server cannot be reached for now: showing the files cached on this computer; downloaded "
        "files can be viewed offline."
    ),
    "服务器未接受 %1: ": "The server did not accept %1: ",
    "服务器未接受，请重新评审：": "Not accepted by the server; review again: ",
    "服务器证书与平台根证书不符：": "The server certificate does not match the platform root certificate: ",
    "未下载": "Not downloaded",
    "未同步变更: ": "Unsynced changes: ",
    "未同步变更: %1": "Unsynced changes: %1",
    "未同步的评审结果: %n 项": ("Unsynced review results: %n item", "Unsynced review results: %n items"),
    "未找到": "Not found",
    "未说明": "Not explained",
    "未输入考场工作人员 PIN 码": "The venue staff PIN was not entered",
    "本客户端未启用审计日志见证。": "The audit log witness is not enabled in this client.",
    "本评标办法无价格分。": "This evaluation method has no price score.",
    "查看相关页": "Show related pages",
    "校验失败": "Verification failed",
    "模拟评标委员会已就绪: ": "Simulated committee ready: ",
    "正在下载「%1」，完成后自动打开…": "Downloading “%1”; it opens when done…",
    "正在保存…": "Saving…",
    "正在提交…": "Submitting…",
    "正在读取已保存的评审结果": "Reading the saved review results",
    "正在读取已保存的评审结果…": "Reading the saved review results…",
    "正在读取评标会话…": "Loading the evaluation session…",
    "正在读取评标会话… (loading)": "Loading the evaluation session…",
    "正在连接…": "Connecting…",
    "正在连接… (connecting)": "Connecting…",
    "正在连接服务器…": "Connecting to the server…",
    "正在重新连接…": "Reconnecting…",
    "正在重新连接… (reconnecting)": "Reconnecting…",
    "正在验证 PIN 码并连接服务器…": "Checking the PIN and connecting to the server…",
    "步长": "Step",
    "汇总已完成。": "The summary is complete.",
    "没有写入考场配置的权限：请以管理员身份运行 bideval --configure": (
        "No permission to write the venue configuration: run bideval --configure as an administrator"
    ),
    "没有可用的候补专家": "No alternate expert is available",
    "没有在席的专家": "No expert is present",
    "没有已回避、待替换的专家": "No recused expert is waiting to be replaced",
    "没有待审批的回退申请": "No return request is waiting for approval",
    "没有待审批的回退申请。": "No return request is waiting for approval.",
    "流标": "Failed tender",
    "流标: ": "Failed tender: ",
    "流标原因: ": "Reason for the failed tender: ",
    "测试连接": "Test the connection",
    "满分 {max}，输入扣分及理由，例如「0.5 通报批评; 1 行政处罚」，无扣分输入「无」": (
        "Full marks {max}; enter deductions with reasons, e.g. “0.5 通报批评; 1 行政处罚”, or “无” for none"
    ),
    "澄清": "Clarification",
    "澄清审批": "Clarification approval",
    "澄清文件": "Clarification documents",
    "状态": "Status",
    "理由": "Reason",
    "由候补专家替换": "Replaced by an alternate expert",
    "界面语言": "Display language",
    "申请修正 %1 的评分": "Requested a correction of %1's scores",
    "申请回退": "Request a return",
    "申请开始 (ask to start)": "Ask to start",
    "申请更正": "Request a correction",
    "登录": "Sign in",
    "监督人员不批准开始评标": "The supervisor refused the start of the evaluation",
    "监督人员决定 %1 回避": "The supervisor decided that %1 is recused",
    "监督人员已同意发出澄清问题 ": "The supervisor approved sending clarification question ",
    "监督人员已同意评审回退": "The supervisor approved the return",
    "监督人员已批准开始评标": "The supervisor approved the start of the evaluation",
    "监督人员批准回退到「%1」": "The supervisor approved the return to “%1”",
    "监督人员批准开始评标": "The supervisor approved the start of the evaluation",
    "监督人员批准澄清问题 %1": "The supervisor approved clarification question %1",
    "监督人员未批准": "Refused by the supervisor",
    "监督人员未批准回退到「%1」": "The supervisor refused the return to “%1”",
    "监督人员未批准澄清问题 %1": "The supervisor refused clarification question %1",
    "确定排名": "Decide the ranking",
    "确认承诺书": "Confirmed the pledge",
    "磁盘空间不足，已录入的内容未丢失；请联系考场工作人员清理磁盘：": (
        "The disk is full; nothing entered so far is lost. Contact the venue staff to free disk space: "
    ),
    "离线时不能进行需要全体评委参与的操作，请等待网络恢复": (
        "Actions that need the whole committee are not possible offline; wait for the network to return"
    ),
    "离线自 ": "Offline since ",
    "离线自 %1": "Offline since %1",
    "空格键切换 合格/不合格；不合格须填写理由": "Space toggles pass/fail; a fail needs a reason",
    "第 %1 中标候选人": "Recommended candidate no. %1",
    "第 %1 页": "Page %1",
    "第 %n 轮": ("Round %n", "Round %n"),
    "等待: ": "Waiting for: ",
    "等待组长确定排名。": "Waiting for the committee leader to decide the ranking.",
    "答复": "Answer",
    "签到": "Check in",
    "签到 (check in)": "Check in",
    "签章": "Seal",
    "签署情况:": "Signatures:",
    "签署评标报告": "Sign the evaluation report",
    "签署评标报告 (不同意见)": "Signed the evaluation report (dissent)",
    "系统": "System",
    "红名单": "Red list",
    "组长 %1 已申请开始评标。": "Committee leader %1 has asked to start the evaluation.",
    "组长完成汇总": "The committee leader completed the summary",
    "组长尚未申请开始": "The committee leader has not asked to start yet",
    "组长操作": "Committee leader actions",
    "组长申请回退到「%1」": "The committee leader requested a return to “%1”",
    "组长申请回退到「%1」, 理由: ": "The committee leader requested a return to “%1”, reason: ",
    "组长申请开始评标": "The committee leader asked to start the evaluation",
    "编号": "No.",
    "缩小": "Zoom out",
    "缺少评分偏离说明: ": "Score deviation explanations missing: ",
    "考场工作人员": "Venue staff",
    "考场工作人员 PIN 码错误": "Wrong venue staff PIN",
    "考场配置": "Venue configuration",
    "考场配置有误，请联系考场工作人员：": "The venue configuration is invalid; contact the venue staff: ",
    "表决只需输入 是/否（1/0, y/n），不需要理由": "A vote needs only yes/no (1/0, y/n), no reason",
    "计算公式版本: ": "Formula version: ",
    "计算步骤:": "Calculation steps:",
    "计算过程": "Calculation",
    "记录初步评审意见": "Recorded a preliminary review verdict",
    "记录详细评审评分": "Recorded a detailed review score",
    "证书 (*.pem *.crt *.cer)": "Certificates (*.pem *.crt *.cer)",
    "证书信息": "Certificate details",
    "评审回退:": "Return to an earlier step:",
    "评审回退申请 (回到%1): %2 — 等待监督人员批准": (
        "Return request (back to %1): %2 — awaiting the supervisor's approval"
    ),
    "评审回退申请正等待监督人员决定": "The return request is waiting for the supervisor's decision",
    "评标动态": "Evaluation activity",
    "评标场地": "Evaluation venue",
    "评标场地编号": "Evaluation venue number",
    "评标基准价: ": "Evaluation base price: ",
    "评标基准价计算方法: ": "Evaluation base price method: ",
    "评标客户端已在运行，请切换到已打开的窗口。": (
        "The evaluation client is already running; switch to the window that is open."
    ),
    "评标已暂停": "Evaluation paused",
    "评标已暂停 — 暂停理由: ": "Evaluation paused — reason: ",
    "评标已暂停, 请先恢复": "The evaluation is paused; resume it first",
    "评标已暂停: ": "Evaluation paused: ",
    "评标已结束": "Evaluation closed",
    "评标报告已由全体评委签署，评标结束。": (
        "The evaluation report has been signed by the whole committee; the evaluation is closed."
    ),
    "评标未暂停": "The evaluation is not paused",
    "评标结束，评标报告已全部签署。排名:": "Evaluation closed, the evaluation report is fully signed. Ranking:",
    "该投标文件施工方案针对性强，本人按评分标准逐项给分，评分有据可查": (
        "The construction plan in this bid is well targeted; I scored each item by the scoring criteria "
        "and every score is documented"
    ),
    "该澄清问题不在待审批状态": "This clarification question is not waiting for approval",
    "说明 (选择“其他”时必填)": "Details (required when “Other” is chosen)",
    "请先运行汇总": "Run the summary first",
    "请先选择一个澄清问题": "Select a clarification question first",
    "请填写书面澄清问题": "Enter the written clarification question",
    "请填写书面说明": "Enter the written explanation",
    "请填写回退理由": "Enter the reason for the return",
    "请填写更正理由": "Enter the reason for the correction",
    "请审阅评标结果并签署评标报告。": "Review the evaluation result and sign the evaluation report.",
    "请点击签到。": "Click to check in.",
    "请确认已知悉拒绝签字的后果": "Confirm that you understand the consequence of refusing to sign",
    "请等待两份文件下载完成后再并排对比。": "Wait until both files are downloaded to compare them side by side.",
    "请至少选择一项回避事由": "Select at least one ground for recusal",
    "请输入考场工作人员 PIN 码以退出评标客户端": "Enter the venue staff PIN to leave the evaluation client",
    "请运行汇总。": "Run the summary.",
    "请选择同意、不同意或拒绝签字": "Choose agree, disagree or refuse to sign",
    "请阅读承诺书，剩余 %n 秒": (
        "Please read the pledge, %n second left",
        "Please read the pledge, %n seconds left",
    ),
    "资格评审": "Qualification review",
    "输入 1/y/是 或 0/n/否；是得 {max} 分，否得 {min} 分": (
        "Enter 1/y/是 or 0/n/否; yes scores {max}, no scores {min}"
    ),
    "输入 1/y/通过 或 0/n/不通过 + 理由，例如「0 资质证书过期」": (
        "Enter 1/y/通过 or 0/n/不通过 + reason, e.g. “0 资质证书过期”"
    ),
    "运行汇总": "Run the summary",
    "还有 %n 项不合格未填写理由": (
        "%n failed item has no reason yet",
        "%n failed items have no reason yet",
    ),
    "还有 %n 项尚未评审": ("%n item is not reviewed yet", "%n items are not reviewed yet"),
    "进入「%1」": "Entered “%1”",
    "远程异地评标系统": "Remote Off-site Bid Evaluation",
    "远程异地评标系统 — 专家登录": "Remote Off-site Bid Evaluation — expert sign-in",
    "连接中断，稍后重试: ": "Connection lost, retrying shortly: ",
    "连接成功，服务器证书由此平台根证书签发：": (
        "Connected; the server certificate is issued by this platform root certificate: "
    ),
    "适合宽度": "Fit width",
    "选择…": "Choose…",
    "选择平台根证书": "Choose the platform root certificate",
    "选择数字证书": "Choose the digital certificate",
    "通过": "Pass",
    "通过/不通过": "Pass/fail",
    "通过初步评审的投标人:": "Bidders that passed the preliminary review:",
    "配置文件：": "Configuration file: ",
    "重新打开详细评审表": "Reopened the detailed review sheet",
    "错误：": "Error: ",
    "问题": "Question",
    "问：": "Q: ",
    "答：": "A: ",
    "问题表述客观，同意发出": "The question is objectively worded; approved for sending",
    "页数": "Pages",
    "项目经理未提供有效的安全生产考核合格证书（B证），不满足资格评审标准": (
        "The project manager has no valid work-safety assessment certificate (B certificate); "
        "the qualification criteria are not met"
    ),
    "颁发对象：": "Issued to: ",
    "首次配置": "First-time setup",
    "黑名单": "Black list",
    "，全部合格": ", all pass",
    "，认为 ": ", finding that ",
    "；等待 ": "; waiting for ",
}

CONTEXT_ENGLISH: dict[tuple[str, str], English] = {
    # The same Chinese reads differently in some places: (context, source) → English wins over ENGLISH.
    ("SupervisorWindow", "签到"): "Checked in",
    ("SupervisorWindow", "流标"): "Failed tender",
    ("SupervisorWindow", "拒绝签字"): "Refused to sign",
    ("SupervisorWindow", "签署评标报告"): "Signed the evaluation report",
    ("SupervisorWindow", "确定排名"): "Decided the ranking",
    # Not 暂停评标/恢复评标: the same (context, source) labels the supervisor's buttons and the activity
    # feed's lines, so they keep the imperative that fits both until the feed gets a disambiguation.
    ("SupervisorWindow", "声明无利害关系"): "Declared no conflict of interest",
    ("SupervisorWindow", "声明需要回避"): "Declared grounds for recusal",
}
