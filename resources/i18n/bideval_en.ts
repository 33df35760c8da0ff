<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>ActionRecorder</name>
    <message>
        <location filename="../../app/ui/actions.py" line="42"/>
        <source>服务器未接受 %1: %2</source>
        <translation>The server did not accept %1: %2</translation>
    </message>
</context>
<context>
    <name>CacheRetirement</name>
    <message>
        <location filename="../../app/ui/session_end.py" line="54"/>
        <source>评标已结束，本机加密缓存及其密钥已销毁。</source>
        <translation>The evaluation is closed; this computer's encrypted cache and its key have been destroyed.</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_end.py" line="57"/>
        <source>评标已结束；本机仍有未同步的变更，同步完成后销毁本机缓存。</source>
        <translation>The evaluation is closed; this computer still has unsynced changes, and its cache is destroyed once they are synced.</translation>
    </message>
</context>
<context>
    <name>CheckInPage</name>
    <message>
        <location filename="../../app/ui/session_window.py" line="298"/>
        <source>签到</source>
        <translation>Check in</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="302"/>
        <source>&lt;h3&gt;签到&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Check-in&lt;/h3&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="305"/>
        <source>已签到的专家:</source>
        <translation>Experts checked in:</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="315"/>
        <source>已签到。</source>
        <translation>Checked in. </translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="315"/>
        <source>请点击签到。</source>
        <translation>Click to check in.</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="322"/>
        <source>… 未签到</source>
        <translation>… not checked in</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="322"/>
        <source>✓ 已签到</source>
        <translation>✓ checked in</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="326"/>
        <source>主场</source>
        <translation>Main venue</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="326"/>
        <source>副场</source>
        <translation>Sub-venue</translation>
    </message>
</context>
<context>
    <name>ClarificationPanel</name>
    <message>
        <location filename="../../app/ui/review_pages.py" line="524"/>
        <source>暂无澄清。</source>
        <translation>No clarifications yet.</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="529"/>
        <source>书面澄清问题（不得暗示或诱导投标人，不接受投标人主动澄清）</source>
        <translation>Written clarification question (must not hint at or lead the bidder; unsolicited clarifications from bidders are not accepted)</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="533"/>
        <source>发起澄清</source>
        <translation>Ask for clarification</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="539"/>
        <source>向投标人发起澄清（组长）:</source>
        <translation>Ask a bidder for clarification (committee leader):</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="588"/>
        <source>问：</source>
        <translation>Q: </translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="590"/>
        <source>答：</source>
        <translation>A: </translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="604"/>
        <source>只有组长在评审阶段可以发起澄清</source>
        <translation>Only the committee leader can ask for clarification, during the review</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="606"/>
        <source>请填写书面澄清问题</source>
        <translation>Enter the written clarification question</translation>
    </message>
</context>
<context>
    <name>DemoCommittee</name>
    <message>
        <location filename="../../app/demo_committee.py" line="47"/>
        <source>项目经理未提供有效的安全生产考核合格证书（B证），不满足资格评审标准</source>
        <translation>The project manager has no valid work-safety assessment certificate (B certificate); the qualification criteria are not met</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="54"/>
        <source>该投标文件施工方案针对性强，本人按评分标准逐项给分，评分有据可查</source>
        <translation>The construction plan in this bid is well targeted; I scored each item by the scoring criteria and every score is documented</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="56"/>
        <source>同意开始评标</source>
        <translation>Approve the start of the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="112"/>
        <source>连接中断，稍后重试: </source>
        <translation>Connection lost, retrying shortly: </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="124"/>
        <source>当前阶段: </source>
        <translation>Current phase: </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="181"/>
        <source>操作未被接受: </source>
        <translation>The action was not accepted: </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="224"/>
        <source> 已签到</source>
        <translation> checked in</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="235"/>
        <source> 已阅读并确认承诺书</source>
        <translation> read and confirmed the pledge</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="242"/>
        <source> 声明与投标人无利害关系</source>
        <translation> declared no conflict of interest with any bidder</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="256"/>
        <source> 为组长</source>
        <translation> as committee leader</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="256"/>
        <source> 投票推选 </source>
        <translation> voted for </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="265"/>
        <source> (组长) 申请开始评标</source>
        <translation> (committee leader) asked to start the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="274"/>
        <source>监督人员已批准开始评标</source>
        <translation>The supervisor approved the start of the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="290"/>
        <source> 资格审查不合格: </source>
        <translation> fails the qualification review: </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="290"/>
        <source>，认为 </source>
        <translation>, finding that </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="292"/>
        <source>，全部合格</source>
        <translation>, all pass</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="294"/>
        <source> 提交初步评审</source>
        <translation> submitted the preliminary review</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="313"/>
        <source> 修正后重新提交详细评审</source>
        <translation> corrected and resubmitted the detailed review</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="313"/>
        <source> 提交详细评审 (评分已密封)</source>
        <translation> submitted the detailed review (scores sealed)</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="344"/>
        <source> 对评分偏离作出书面说明: </source>
        <translation> explained a score deviation in writing: </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="347"/>
        <source>平均 </source>
        <translation>Average </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="373"/>
        <source> 已签署评标报告 (同意)</source>
        <translation> signed the evaluation report (agrees)</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="389"/>
        <source>问题表述客观，同意发出</source>
        <translation>The question is objectively worded; approved for sending</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="391"/>
        <source>监督人员已同意发出澄清问题 </source>
        <translation>The supervisor approved sending clarification question </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="400"/>
        <source>同意回退</source>
        <translation>Approve the return</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="402"/>
        <source>监督人员已同意评审回退</source>
        <translation>The supervisor approved the return</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="410"/>
        <source>流标: </source>
        <translation>Failed tender: </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="414"/>
        <source>评标结束，评标报告已全部签署。排名:</source>
        <translation>Evaluation closed, the evaluation report is fully signed. Ranking:</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="416"/>
        <source> (中标候选人)</source>
        <translation> (recommended candidate)</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="460"/>
        <source>服务器上没有评标会话</source>
        <translation>There is no evaluation session on the server</translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="474"/>
        <source>模拟评标委员会已就绪: </source>
        <translation>Simulated committee ready: </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="476"/>
        <source> 与监督人员 </source>
        <translation> and supervisor </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="478"/>
        <source>；等待 </source>
        <translation>; waiting for </translation>
    </message>
    <message>
        <location filename="../../app/demo_committee.py" line="480"/>
        <source> 签到</source>
        <translation> check-in</translation>
    </message>
</context>
<context>
    <name>DetailedPage</name>
    <message>
        <location filename="../../app/ui/session_window.py" line="589"/>
        <location filename="../../app/ui/session_window.py" line="754"/>
        <source>提交详细评审</source>
        <translation>Submit the detailed review</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="596"/>
        <source>&lt;h3&gt;详细评审&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Detailed review&lt;/h3&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="631"/>
        <source>无法连接服务器，显示本机保存的评分：</source>
        <translation>Cannot reach the server; showing the scores saved on this computer: </translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="670"/>
        <source>无法读取已保存的评分: </source>
        <translation>Cannot read the saved scores: </translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="704"/>
        <source>已提交。</source>
        <translation>Submitted. </translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="708"/>
        <source>正在读取已保存的评分…</source>
        <translation>Reading the saved scores…</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/session_window.py" line="710"/>
        <source>未同步的评分: %n 项</source>
        <translation>
            <numerusform>Unsynchronised scores: %n</numerusform>
            <numerusform>Unsynchronised scores: %n</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="724"/>
        <source>已提交，不能再修改</source>
        <translation>Submitted; it can no longer be changed</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="726"/>
        <source>正在读取已保存的评分</source>
        <translation>Reading the saved scores</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="728"/>
        <source>当前不能提交（已暂停或正在同步）</source>
        <translation>Cannot submit now (paused or syncing)</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/session_window.py" line="730"/>
        <source>有 %n 项评分未被服务器接受，请重新输入</source>
        <translation>
            <numerusform>%n score was not accepted by the server; please enter it again</numerusform>
            <numerusform>%n scores were not accepted by the server; please enter them again</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/session_window.py" line="732"/>
        <source>有 %n 项输入有误，请更正</source>
        <translation>
            <numerusform>%n input is invalid; please correct it</numerusform>
            <numerusform>%n inputs are invalid; please correct them</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/session_window.py" line="734"/>
        <source>还有 %n 项尚未评分</source>
        <translation>
            <numerusform>%n score is not entered yet</numerusform>
            <numerusform>%n scores are not entered yet</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="735"/>
        <source>提交后不能再修改</source>
        <translation>It cannot be changed after submitting</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="751"/>
        <source>提交后不能再修改详细评审的评分。确定提交吗？</source>
        <translation>After submitting, the detailed review scores can no longer be changed. Submit now?</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/session_window.py" line="753"/>
        <source>其中 %n 项评分尚未同步，将在提交之前发送。</source>
        <translation>
            <numerusform> %n score is not synchronised yet; it will be sent before the submission.</numerusform>
            <numerusform> %n scores are not synchronised yet; they will be sent before the submission.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DocumentViewer</name>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="151"/>
        <source>放大</source>
        <translation>Zoom in</translation>
    </message>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="152"/>
        <source>缩小</source>
        <translation>Zoom out</translation>
    </message>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="153"/>
        <source>适合宽度</source>
        <translation>Fit width</translation>
    </message>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="155"/>
        <source>在文档中查找…</source>
        <translation>Find in document…</translation>
    </message>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="158"/>
        <source>上一个</source>
        <translation>Previous</translation>
    </message>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="159"/>
        <source>下一个</source>
        <translation>Next</translation>
    </message>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="206"/>
        <source>SHA-256 指纹</source>
        <translation>SHA-256 fingerprint</translation>
    </message>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="206"/>
        <source>签章</source>
        <translation>Seal</translation>
    </message>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="211"/>
        <source>无法打开该文档：文件已损坏或不是 PDF 格式。请勿依据此文件评审，并联系项目负责人。</source>
        <translation>Cannot open this document: the file is damaged or not a PDF. Do not evaluate from this file; contact the project officer.</translation>
    </message>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="271"/>
        <source>未找到</source>
        <translation>Not found</translation>
    </message>
</context>
<context>
    <name>DocumentsPane</name>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="63"/>
        <source>招标文件</source>
        <translation>Tender documents</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="64"/>
        <source>开标记录</source>
        <translation>Bid opening record</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="65"/>
        <source>投标文件</source>
        <translation>Bid documents</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="66"/>
        <source>澄清文件</source>
        <translation>Clarification documents</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="78"/>
        <source>指纹已校验</source>
        <translation>Fingerprint verified</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="81"/>
        <source>开标记录中无该投标文件的指纹</source>
        <translation>The bid opening record has no fingerprint for this bid document</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="83"/>
        <source>指纹与开标记录一致</source>
        <translation>The fingerprint matches the bid opening record</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="84"/>
        <source>指纹与开标记录不一致！请勿依据此文件评审，并报告监督人员</source>
        <translation>The fingerprint does not match the bid opening record! Do not evaluate from this file; report it to the supervisor</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="124"/>
        <source>文件</source>
        <translation>File</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="124"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="124"/>
        <source>页数</source>
        <translation>Pages</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="131"/>
        <source>全部下载</source>
        <translation>Download all</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="133"/>
        <location filename="../../app/ui/documents_pane.py" line="502"/>
        <source>并排对比</source>
        <translation>Side by side</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="134"/>
        <source>在列表中选择两份投标文件，并排查看</source>
        <translation>Select two bid documents in the list to view them side by side</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="193"/>
        <source>服务器暂时无法连接：显示本机已缓存的文件，已下载的文件可离线查看。</source>
        <translation>The server cannot be reached for now: showing the files cached on this computer; downloaded files can be viewed offline.</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="205"/>
        <source>无法读取文件列表：</source>
        <translation>Cannot read the file list: </translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="258"/>
        <source>已就绪</source>
        <translation>Ready</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="261"/>
        <source>校验失败</source>
        <translation>Verification failed</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="264"/>
        <source>已下载 %p%，待续传</source>
        <translation>Downloaded %p%, will resume</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="267"/>
        <source>未下载</source>
        <translation>Not downloaded</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="276"/>
        <source>下载中 %p%</source>
        <translation>Downloading %p%</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="343"/>
        <source>全部文件已下载并加密保存在本机，可离线查看。</source>
        <translation>All files are downloaded and stored encrypted on this computer; they can be viewed offline.</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="365"/>
        <source>文件「%1」下载中断：</source>
        <translation>Download of file “%1” interrupted: </translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="404"/>
        <source>正在下载「%1」，完成后自动打开…</source>
        <translation>Downloading “%1”; it opens when done…</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="451"/>
        <source>文件「%1」无法打开</source>
        <translation>File “%1” cannot be opened</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="464"/>
        <source>文件列表尚未载入，请稍候再试。</source>
        <translation>The file list has not loaded yet; try again in a moment.</translation>
    </message>
    <message>
        <location filename="../../app/ui/documents_pane.py" line="496"/>
        <source>请等待两份文件下载完成后再并排对比。</source>
        <translation>Wait until both files are downloaded to compare them side by side.</translation>
    </message>
</context>
<context>
    <name>ElectionPage</name>
    <message>
        <location filename="../../app/ui/session_window.py" line="481"/>
        <source>投票</source>
        <translation>Vote</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="485"/>
        <source>&lt;h3&gt;推选评标委员会组长&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Elect the committee leader&lt;/h3&gt;</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/session_window.py" line="522"/>
        <source>%n 票已投</source>
        <translation>
            <numerusform>%n vote cast</numerusform>
            <numerusform>%n votes cast</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/session_window.py" line="522"/>
        <source>第 %n 轮</source>
        <translation>
            <numerusform>Round %n</numerusform>
            <numerusform>Round %n</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="524"/>
        <source>；您已投票给 %1。</source>
        <translation>; you voted for %1. </translation>
    </message>
</context>
<context>
    <name>KioskGuard</name>
    <message>
        <location filename="../../app/ui/room_setup.py" line="56"/>
        <source>考场工作人员</source>
        <translation>Venue staff</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="57"/>
        <source>请输入考场工作人员 PIN 码以退出评标客户端</source>
        <translation>Enter the venue staff PIN to leave the evaluation client</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="108"/>
        <source>未输入考场工作人员 PIN 码</source>
        <translation>The venue staff PIN was not entered</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="117"/>
        <source>考场工作人员 PIN 码错误</source>
        <translation>Wrong venue staff PIN</translation>
    </message>
</context>
<context>
    <name>LanguageSelector</name>
    <message>
        <location filename="../../app/i18n.py" line="230"/>
        <source>界面语言</source>
        <translation>Display language</translation>
    </message>
</context>
<context>
    <name>LoginWindow</name>
    <message>
        <location filename="../../app/ui/login.py" line="124"/>
        <source>（已暂停）</source>
        <translation> (paused)</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="321"/>
        <source>远程异地评标系统 — 登录</source>
        <translation>Remote Off-site Bid Evaluation — sign in</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="322"/>
        <source>服务器地址</source>
        <translation>Server address</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="323"/>
        <source>评标场地</source>
        <translation>Evaluation venue</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="324"/>
        <source>数字证书文件</source>
        <translation>Digital certificate file</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="325"/>
        <source>持有人</source>
        <translation>Holder</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="326"/>
        <source>PIN 码</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="327"/>
        <source>选择…</source>
        <translation>Choose…</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="328"/>
        <source>登录</source>
        <translation>Sign in</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="383"/>
        <source>选择数字证书</source>
        <translation>Choose the digital certificate</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="412"/>
        <source>%1（%2，%3）</source>
        <translation>%1 (%2, %3)</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="440"/>
        <source>正在验证 PIN 码并连接服务器…</source>
        <translation>Checking the PIN and connecting to the server…</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="447"/>
        <source>已登录：%1（%2）</source>
        <translation>Signed in: %1 (%2)</translation>
    </message>
</context>
<context>
    <name>MemberProgressModel</name>
    <message>
        <location filename="../../app/models/progress.py" line="40"/>
        <source>在席</source>
        <translation>Present</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="41"/>
        <source>已回避</source>
        <translation>Recused</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="42"/>
        <source>已替换</source>
        <translation>Replaced</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="43"/>
        <source>候补</source>
        <translation>Reserve</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="47"/>
        <source>近亲属</source>
        <translation>Close relative</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="49"/>
        <source>劳动关系/董监事/控股</source>
        <translation>Employment/directorship/control</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="52"/>
        <source>主管或监督部门人员</source>
        <translation>Supervising department staff</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="54"/>
        <source>曾受处罚</source>
        <translation>Previously punished</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="55"/>
        <source>其他利害关系</source>
        <translation>Other conflict of interest</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="76"/>
        <source>专家</source>
        <translation>Expert</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="77"/>
        <source>会场</source>
        <translation>Venue</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="78"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="79"/>
        <source>签到</source>
        <translation>Check in</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="80"/>
        <source>承诺书</source>
        <translation>Pledge</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="81"/>
        <source>回避声明</source>
        <translation>Recusal declaration</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="82"/>
        <source>投票</source>
        <translation>Vote</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="83"/>
        <source>初步评审</source>
        <translation>Preliminary review</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="84"/>
        <source>详细评审</source>
        <translation>Detailed review</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="85"/>
        <source>签字</source>
        <translation>Signature</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="103"/>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="196"/>
        <source> (组长)</source>
        <translation> (committee leader)</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="201"/>
        <source>主场</source>
        <translation>Main venue</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="201"/>
        <source>副场</source>
        <translation>Sub-venue</translation>
    </message>
    <message>
        <location filename="../../app/models/progress.py" line="208"/>
        <source>回避: </source>
        <translation>Recusal: </translation>
    </message>
</context>
<context>
    <name>PageThumbnailModel</name>
    <message>
        <location filename="../../app/ui/document_viewer.py" line="83"/>
        <source>第 %1 页</source>
        <translation>Page %1</translation>
    </message>
</context>
<context>
    <name>PauseBanner</name>
    <message>
        <location filename="../../app/ui/session_window.py" line="825"/>
        <source>评标已暂停 — 暂停理由：%1</source>
        <translation>Evaluation paused — reason: %1</translation>
    </message>
</context>
<context>
    <name>Phase</name>
    <message>
        <location filename="../../app/ui/login.py" line="56"/>
        <source>签到</source>
        <translation>Check in</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="57"/>
        <source>承诺书</source>
        <translation>Pledge</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="58"/>
        <source>回避声明</source>
        <translation>Recusal declaration</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="59"/>
        <source>推选组长</source>
        <translation>Leader election</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="60"/>
        <source>等待开始</source>
        <translation>Waiting to start</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="61"/>
        <source>初步评审</source>
        <translation>Preliminary review</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="62"/>
        <source>详细评审</source>
        <translation>Detailed review</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="63"/>
        <source>汇总</source>
        <translation>Summary</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="64"/>
        <source>评标报告签字</source>
        <translation>Signing the evaluation report</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="65"/>
        <source>评标结束</source>
        <translation>Evaluation closed</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="66"/>
        <source>流标</source>
        <translation>Failed tender</translation>
    </message>
</context>
<context>
    <name>PledgePage</name>
    <message>
        <location filename="../../app/ui/session_window.py" line="331"/>
        <location filename="../../app/ui/session_window.py" line="333"/>
        <source>本人承诺: 遵守评标纪律，客观公正地履行职责；不私下接触投标人，不收受财物；不透露评审情况；存在应当回避的情形时主动回避；服从监督。</source>
        <translation>I pledge to observe the evaluation discipline and perform my duties objectively and impartially; not to contact bidders privately or accept money or gifts; not to disclose the deliberations; to recuse myself whenever a ground for recusal applies; and to accept supervision.</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="351"/>
        <source>我已阅读并同意</source>
        <translation>I have read and agree</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="357"/>
        <source>&lt;h3&gt;评标纪律承诺书&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Evaluation discipline pledge&lt;/h3&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="381"/>
        <source>已确认承诺书。</source>
        <translation>Pledge confirmed.</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/session_window.py" line="383"/>
        <source>请阅读承诺书，剩余 %n 秒</source>
        <translation>
            <numerusform>Please read the pledge, %n second left</numerusform>
            <numerusform>Please read the pledge, %n seconds left</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="385"/>
        <source>可以确认。</source>
        <translation>You can confirm now.</translation>
    </message>
</context>
<context>
    <name>PreliminaryModel</name>
    <message>
        <location filename="../../app/models/preliminary.py" line="102"/>
        <source>信用状况</source>
        <translation>Credit record</translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="123"/>
        <source>✗ 须填理由</source>
        <translation>✗ Reason required</translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="126"/>
        <source>✓ 合格</source>
        <translation>✓ Pass</translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="126"/>
        <source>✗ 不合格：</source>
        <translation>✗ Fail: </translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="130"/>
        <source>空格键切换 合格/不合格；不合格须填写理由</source>
        <translation>Space toggles pass/fail; a fail needs a reason</translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="132"/>
        <source>不合格理由为必填项，填写前不会提交</source>
        <translation>A reason is required for a fail; it is not submitted until one is entered</translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="134"/>
        <source>不合格理由：</source>
        <translation>Reason for fail: </translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="136"/>
        <source>服务器未接受，请重新评审：</source>
        <translation>Not accepted by the server; review again: </translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="302"/>
        <source>红名单</source>
        <translation>Red list</translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="304"/>
        <source>黑名单</source>
        <translation>Black list</translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="312"/>
        <source>形式评审</source>
        <translation>Formal review</translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="314"/>
        <source>资格评审</source>
        <translation>Qualification review</translation>
    </message>
    <message>
        <location filename="../../app/models/preliminary.py" line="316"/>
        <source>响应性评审</source>
        <translation>Responsiveness review</translation>
    </message>
</context>
<context>
    <name>PreliminaryPage</name>
    <message>
        <location filename="../../app/ui/review_pages.py" line="240"/>
        <source>方向键选择单元格，空格键切换 合格/不合格；不合格时须在单元格内填写理由（回车确认）。</source>
        <translation>Arrow keys select a cell, Space toggles pass/fail; a fail needs a reason typed in the cell (Enter to confirm).</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="243"/>
        <source>其余未评项均为合格</source>
        <translation>Mark all remaining items as pass</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="244"/>
        <source>把尚未评审的单元格全部设为合格（已评的不变）</source>
        <translation>Set every cell not yet reviewed to pass (cells already reviewed stay as they are)</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="246"/>
        <location filename="../../app/ui/review_pages.py" line="429"/>
        <source>提交初步评审</source>
        <translation>Submit the preliminary review</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="255"/>
        <source>&lt;h3&gt;初步评审&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Preliminary review&lt;/h3&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="315"/>
        <source>无法读取已保存的评审结果: </source>
        <translation>Cannot read the saved review results: </translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="340"/>
        <source>已提交。</source>
        <translation>Submitted. </translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="342"/>
        <source>初步评审已结束。</source>
        <translation>The preliminary review is over.</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="347"/>
        <source>正在读取已保存的评审结果…</source>
        <translation>Reading the saved review results…</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/review_pages.py" line="349"/>
        <source>未同步的评审结果: %n 项</source>
        <translation>
            <numerusform>Unsynced review results: %n item</numerusform>
            <numerusform>Unsynced review results: %n items</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="366"/>
        <source>已提交，不能再修改</source>
        <translation>Submitted; it can no longer be changed</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="368"/>
        <source>正在读取已保存的评审结果</source>
        <translation>Reading the saved review results</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="370"/>
        <source>当前不能提交（已暂停或正在同步）</source>
        <translation>Cannot submit now (paused or syncing)</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/review_pages.py" line="372"/>
        <source>有 %n 项未被服务器接受，请重新评审</source>
        <translation>
            <numerusform>%n item was not accepted by the server; review it again</numerusform>
            <numerusform>%n items were not accepted by the server; review them again</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/review_pages.py" line="374"/>
        <source>还有 %n 项不合格未填写理由</source>
        <translation>
            <numerusform>%n failed item has no reason yet</numerusform>
            <numerusform>%n failed items have no reason yet</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/review_pages.py" line="376"/>
        <source>还有 %n 项尚未评审</source>
        <translation>
            <numerusform>%n item is not reviewed yet</numerusform>
            <numerusform>%n items are not reviewed yet</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="377"/>
        <source>提交后不能再修改</source>
        <translation>It cannot be changed after submitting</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/review_pages.py" line="428"/>
        <source>提交后不能再修改初步评审结果。其中不合格 %n 项。确定提交吗？</source>
        <translation>
            <numerusform>The preliminary review cannot be changed after submitting. It has %n failed item. Submit it?</numerusform>
            <numerusform>The preliminary review cannot be changed after submitting. It has %n failed items. Submit it?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecusalGrounds</name>
    <message>
        <location filename="../../app/ui/session_window.py" line="397"/>
        <source>投标人主要负责人或法定代表人的近亲属</source>
        <translation>Close relative of a bidder's principal officer or legal representative</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="401"/>
        <source>前3年内与投标人有劳动关系、任董事监事或为其控股股东/实际控制人</source>
        <translation>Within the last 3 years, employed by a bidder, its director or supervisor, or its controlling shareholder/actual controller</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="405"/>
        <source>项目主管部门或行政监督部门的人员</source>
        <translation>Staff of the project's competent department or administrative supervision department</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="409"/>
        <source>曾因招标投标违法行为受过行政或刑事处罚</source>
        <translation>Received an administrative or criminal penalty for an offence in tendering and bidding</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="411"/>
        <source>其他利害关系（须说明）</source>
        <translation>Other conflict of interest (to be explained)</translation>
    </message>
</context>
<context>
    <name>RecusalPage</name>
    <message>
        <location filename="../../app/ui/session_window.py" line="431"/>
        <source>&lt;h3&gt;回避声明&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Recusal declaration&lt;/h3&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="438"/>
        <source>说明（选择“其他”时必填）</source>
        <translation>Details (required when “Other” is chosen)</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="440"/>
        <source>提交回避声明</source>
        <translation>Submit the recusal declaration</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="441"/>
        <source>无利害关系</source>
        <translation>No conflict of interest</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="472"/>
        <source>已声明。</source>
        <translation>Declared. </translation>
    </message>
</context>
<context>
    <name>ResultPages</name>
    <message>
        <location filename="../../app/ui/result_pages.py" line="83"/>
        <source>分值汇总计算错误</source>
        <translation>Scores added up wrongly</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="87"/>
        <source>分项评分超出评分标准规定的分值范围</source>
        <translation>An item score outside the range set by the scoring criteria</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="91"/>
        <source>客观评审因素评分不一致</source>
        <translation>Inconsistent scores for objective factors</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="95"/>
        <source>评分畸高、畸低</source>
        <translation>Abnormally high or low scores</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="101"/>
        <source>初步评审</source>
        <translation>Preliminary review</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="102"/>
        <source>详细评审</source>
        <translation>Detailed review</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="107"/>
        <source>最低有效投标报价</source>
        <translation>Lowest valid bid price</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="108"/>
        <source>次低有效投标报价</source>
        <translation>Second-lowest valid bid price</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="109"/>
        <source>有效投标报价算术平均值</source>
        <translation>Mean of the valid bid prices</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="110"/>
        <source>去掉最高、最低报价后的算术平均值</source>
        <translation>Mean of the valid bid prices without the highest and lowest</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="111"/>
        <source>标底 × 系数</source>
        <translation>Reference price × factor</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="191"/>
        <source>第 %1 中标候选人</source>
        <translation>Recommended candidate no. %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="198"/>
        <source>名次</source>
        <translation>Rank</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="198"/>
        <source>并列处理</source>
        <translation>Ties</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="198"/>
        <source>推荐</source>
        <translation>Recommended</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="198"/>
        <location filename="../../app/ui/result_pages.py" line="415"/>
        <location filename="../../app/ui/result_pages.py" line="879"/>
        <source>投标人</source>
        <translation>Bidder</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="198"/>
        <location filename="../../app/ui/result_pages.py" line="879"/>
        <source>总分</source>
        <translation>Total score</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="307"/>
        <location filename="../../app/ui/result_pages.py" line="1026"/>
        <source>正在读取评标会话…</source>
        <translation>Loading the evaluation session…</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="309"/>
        <source>评标已暂停: </source>
        <translation>Evaluation paused: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="311"/>
        <source>离线时不能进行需要全体评委参与的操作，请等待网络恢复</source>
        <translation>Actions that need the whole committee are not possible offline; wait for the network to return</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="313"/>
        <source>正在提交…</source>
        <translation>Submitting…</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="355"/>
        <source>&lt;b&gt;各投标人得分&lt;/b&gt; (鼠标停留查看各专家评分)</source>
        <translation>&lt;b&gt;Scores per bidder&lt;/b&gt; (hover to see each expert's scores)</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="375"/>
        <source>平均分 </source>
        <translation>average </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="378"/>
        <source>已说明</source>
        <translation>Explained</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="380"/>
        <source>待说明</source>
        <translation>Explanation due</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="382"/>
        <source>其他专家的评分偏离:</source>
        <translation>Other experts' score deviations:</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="382"/>
        <source>评分偏离 (须书面说明):</source>
        <translation>Score deviations (to be explained in writing):</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="390"/>
        <source>客观分评分不一致 (须由组长申请更正): </source>
        <translation>Objective scores disagree (the committee leader must request a correction): </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="416"/>
        <source>投标报价</source>
        <translation>Bid price</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="417"/>
        <source>在有效范围内</source>
        <translation>Within the valid range</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="418"/>
        <source>参与基准价计算</source>
        <translation>Counts towards the base price</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="419"/>
        <source>偏差率 (%)</source>
        <translation>Deviation rate (%)</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="420"/>
        <source>取用偏差率 (%)</source>
        <translation>Deviation rate used (%)</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="421"/>
        <source>扣分</source>
        <translation>Deductions</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="422"/>
        <location filename="../../app/ui/result_pages.py" line="879"/>
        <source>价格分</source>
        <translation>Price score</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="423"/>
        <source>计算过程</source>
        <translation>Calculation</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="434"/>
        <source>&lt;b&gt;价格分计算&lt;/b&gt;</source>
        <translation>&lt;b&gt;Price score calculation&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="441"/>
        <source>本评标办法无价格分。</source>
        <translation>This evaluation method has no price score.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="446"/>
        <source>计算公式版本: </source>
        <translation>Formula version: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="447"/>
        <source>评标基准价计算方法: </source>
        <translation>Evaluation base price method: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="448"/>
        <source>有效报价范围: </source>
        <translation>Valid price range: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="449"/>
        <source>无下限</source>
        <translation>No lower limit</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="451"/>
        <source>无上限</source>
        <translation>No upper limit</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="452"/>
        <source>去掉的报价: </source>
        <translation>Prices excluded: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="453"/>
        <location filename="../../app/ui/result_pages.py" line="456"/>
        <source>无</source>
        <translation>None</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="454"/>
        <source>下浮前基准价: </source>
        <translation>Base price before reduction: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="455"/>
        <source>下浮系数 (浮动点): </source>
        <translation>Reduction factor (float point): </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="457"/>
        <source>评标基准价: </source>
        <translation>Evaluation base price: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="460"/>
        <source>否</source>
        <translation>No</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="460"/>
        <source>是</source>
        <translation>Yes</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="472"/>
        <source>否决</source>
        <translation>Reject</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="483"/>
        <source>计算步骤:</source>
        <translation>Calculation steps:</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="497"/>
        <source>&lt;b&gt;排名&lt;/b&gt;</source>
        <translation>&lt;b&gt;Ranking&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="505"/>
        <source>最多推荐 %1 名中标候选人；总分相同时报价低者优先，再按招标文件规定的规则。</source>
        <translation>Recommend at most %1 candidate(s); on equal total scores the lower price ranks first, then the rule in the tender documents.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="509"/>
        <source> 已推荐 %1 名。</source>
        <translation> %1 recommended.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="511"/>
        <source> 排名尚未确定。</source>
        <translation> The ranking is not decided yet.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="541"/>
        <source>书面说明评分理由 (必填)</source>
        <translation>Written reasons for the score (required)</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="542"/>
        <source>提交说明</source>
        <translation>Submit the explanation</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="570"/>
        <source>我的评分偏离 (须书面说明)</source>
        <translation>My score deviations (to be explained in writing)</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="588"/>
        <source>组长操作</source>
        <translation>Committee leader actions</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="589"/>
        <source>运行汇总</source>
        <translation>Run the summary</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="595"/>
        <source>更正理由 (必填)</source>
        <translation>Reason for the correction (required)</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="596"/>
        <source>申请更正</source>
        <translation>Request a correction</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="601"/>
        <source>回退理由 (必填)</source>
        <translation>Reason for the return (required)</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="602"/>
        <source>申请回退</source>
        <translation>Request a return</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="607"/>
        <source>招标文件规定的排序规则 (仅在总分和报价均相同时需要)</source>
        <translation>Ordering rule from the tender documents (needed only when total score and price are both equal)</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="609"/>
        <source>并列投标人的排序，如 B03,B01</source>
        <translation>Order of the tied bidders, e.g. B03,B01</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="610"/>
        <source>确定排名</source>
        <translation>Decide the ranking</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="619"/>
        <source>更正 (87号令第64条):</source>
        <translation>Correction (Order No. 87, Article 64):</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="624"/>
        <source>评审回退:</source>
        <translation>Return to an earlier step:</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="626"/>
        <source>排序规则:</source>
        <translation>Ordering rule:</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="627"/>
        <source>并列排序:</source>
        <translation>Tie order:</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="633"/>
        <source>&lt;h3&gt;汇总&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Summary&lt;/h3&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="705"/>
        <source>投标人 %1 · %2 %3: 您的评分 %4，各专家平均分 %5，允许范围 %6 (平均分 ± %7%)</source>
        <translation>Bidder %1 · %2 %3: your score %4, the experts' average %5, allowed range %6 (average ± %7%)</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="716"/>
        <source>⚑ 待说明</source>
        <translation>⚑ explanation due</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="716"/>
        <source>✓ 已说明</source>
        <translation>✓ Explained</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="733"/>
        <source>离线时不显示其他专家的评分，请等待网络恢复</source>
        <translation>Other experts' scores are not shown while offline; wait for the network to return</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="747"/>
        <source>所有专家已提交详细评审，</source>
        <translation>All experts have submitted the detailed review; </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="747"/>
        <source>请运行汇总。</source>
        <translation>run the summary.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="749"/>
        <source>所有专家已提交详细评审，等待组长 %1 汇总。</source>
        <translation>All experts have submitted the detailed review; waiting for committee leader %1 to run the summary.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="754"/>
        <source>您有 %1 项评分偏离尚未说明，组长须待全部说明后才能确定排名。</source>
        <translation>You have %1 score deviation(s) not yet explained; the committee leader can decide the ranking only when all are explained.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="758"/>
        <source>等待组长确定排名。</source>
        <translation>Waiting for the committee leader to decide the ranking.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="758"/>
        <location filename="../../app/ui/result_pages.py" line="1125"/>
        <source>汇总已完成。</source>
        <translation>The summary is complete. </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="764"/>
        <source>评审回退申请 (回到%1): %2 — 等待监督人员批准</source>
        <translation>Return request (back to %1): %2 — awaiting the supervisor's approval</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="772"/>
        <source>只能在汇总阶段说明</source>
        <translation>Explanations can only be given during the summary</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="774"/>
        <source>请填写书面说明</source>
        <translation>Enter the written explanation</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="781"/>
        <source>评审回退申请正等待监督人员决定</source>
        <translation>The return request is waiting for the supervisor's decision</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="783"/>
        <source>只能在所有专家提交详细评审后汇总</source>
        <translation>The summary can only run after every expert has submitted the detailed review</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="788"/>
        <source>只能对已完成的汇总申请更正</source>
        <translation>A correction can only be requested for a completed summary</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="790"/>
        <source>请填写更正理由</source>
        <translation>Enter the reason for the correction</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="795"/>
        <source>已有评审回退申请等待监督人员决定</source>
        <translation>A return request is already waiting for the supervisor's decision</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="797"/>
        <source>当前步骤不能申请回退</source>
        <translation>A return cannot be requested at the current step</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="799"/>
        <source>请填写回退理由</source>
        <translation>Enter the reason for the return</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="804"/>
        <source>请先运行汇总</source>
        <translation>Run the summary first</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="808"/>
        <source>填写并列排序时须注明招标文件规定的排序规则</source>
        <translation>An order for tied bidders must name the ordering rule in the tender documents</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="810"/>
        <source>不能确定排名: </source>
        <translation>Cannot decide the ranking: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="880"/>
        <source>同意</source>
        <translation>Agree</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="881"/>
        <source>不同意 (须书面说明不同意见和理由)</source>
        <translation>Disagree (state the dissent and reasons in writing)</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="882"/>
        <source>拒绝签字</source>
        <translation>Refuse to sign</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="888"/>
        <source>不同意见及理由</source>
        <translation>Dissent and reasons</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="893"/>
        <source>我知悉：拒绝签字且不说明理由的，视为同意评标结论。如有理由，请选择“不同意”。</source>
        <translation>I understand: refusing to sign without giving reasons counts as agreeing with the evaluation conclusion. If you have reasons, choose “Disagree”.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="895"/>
        <source>提交</source>
        <translation>Submit</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="898"/>
        <source>&lt;h3&gt;评标报告&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Evaluation report&lt;/h3&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="900"/>
        <location filename="../../app/ui/result_pages.py" line="985"/>
        <source>&lt;b&gt;推荐中标候选人及排名&lt;/b&gt;</source>
        <translation>&lt;b&gt;Recommended candidates and ranking&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="902"/>
        <source>&lt;b&gt;各投标人得分&lt;/b&gt;</source>
        <translation>&lt;b&gt;Scores per bidder&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="904"/>
        <source>&lt;b&gt;签署意见&lt;/b&gt;</source>
        <translation>&lt;b&gt;Signature&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="914"/>
        <source>签署情况:</source>
        <translation>Signatures:</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="939"/>
        <source>您已签署评标报告。</source>
        <translation>You have signed the evaluation report. </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="939"/>
        <source>等待: </source>
        <translation>Waiting for: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="942"/>
        <source>请审阅评标结果并签署评标报告。</source>
        <translation>Review the evaluation result and sign the evaluation report.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="950"/>
        <source>您已签署</source>
        <translation>You have signed</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="952"/>
        <source>只能在评标报告阶段签署</source>
        <translation>Signing is only possible at the evaluation report step</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="954"/>
        <source>请选择同意、不同意或拒绝签字</source>
        <translation>Choose agree, disagree or refuse to sign</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="956"/>
        <source>不同意时须书面说明不同意见和理由</source>
        <translation>A dissent must state its opinion and reasons in writing</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="958"/>
        <source>请确认已知悉拒绝签字的后果</source>
        <translation>Confirm that you understand the consequence of refusing to sign</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1004"/>
        <source>&lt;h3&gt;流标&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Failed tender&lt;/h3&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1005"/>
        <source>流标原因: </source>
        <translation>Reason for the failed tender: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1005"/>
        <location filename="../../app/ui/result_pages.py" line="1101"/>
        <source>未说明</source>
        <translation>Not explained</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1007"/>
        <source>&lt;h3&gt;评标结束&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Evaluation closed&lt;/h3&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1008"/>
        <location filename="../../app/ui/result_pages.py" line="1124"/>
        <source>评标报告已由全体评委签署，评标结束。</source>
        <translation>The evaluation report has been signed by the whole committee; the evaluation is closed.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1034"/>
        <source>评标报告签署情况</source>
        <translation>Signatures of the evaluation report</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1101"/>
        <source>流标: </source>
        <translation>Failed tender: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1102"/>
        <source>。没有汇总结果。</source>
        <translation>. There is no summary.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1105"/>
        <source>所有专家已提交详细评审，等待组长 %1 运行汇总。</source>
        <translation>Every expert has submitted the detailed review; waiting for the committee leader %1 to run the summary. </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1106"/>
        <source>汇总后在此显示得分、价格分计算和排名。</source>
        <translation>The scores, the price-score computation and the ranking show here after the summary.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1108"/>
        <source>正在读取汇总结果…</source>
        <translation>Loading the summary…</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1109"/>
        <source>尚无汇总结果: 各专家提交详细评审、组长运行汇总后，在此显示得分、价格分计算和排名。</source>
        <translation>No summary yet: once every expert has submitted the detailed review and the committee leader has run the summary, the scores, the price-score computation and the ranking show here.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1113"/>
        <source>汇总已完成。组长尚不能确定排名: </source>
        <translation>The summary is complete. The committee leader cannot decide the ranking yet: </translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1114"/>
        <source>汇总已完成，等待组长确定排名。</source>
        <translation>The summary is complete; waiting for the committee leader to decide the ranking.</translation>
    </message>
    <message>
        <location filename="../../app/ui/result_pages.py" line="1119"/>
        <source>排名已确定，评标报告签署中: 已签署 %1 / %2。</source>
        <translation>The ranking is decided; the evaluation report is being signed: %1 of %2 signed.</translation>
    </message>
</context>
<context>
    <name>ReviewPages</name>
    <message>
        <location filename="../../app/ui/review_pages.py" line="473"/>
        <source>红名单</source>
        <translation>Red list</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="474"/>
        <source>黑名单</source>
        <translation>Black list</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="478"/>
        <source>初步评审结果（少数服从多数）</source>
        <translation>Preliminary review result (majority decides)</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="479"/>
        <source>通过初步评审的投标人:</source>
        <translation>Bidders that passed the preliminary review:</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="482"/>
        <source>否决投标:</source>
        <translation>Rejected bids:</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="484"/>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="486"/>
        <source>不合格项</source>
        <translation>Failed items</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="488"/>
        <source>理由</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="491"/>
        <source>无否决投标。</source>
        <translation>No bids rejected.</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="500"/>
        <source>待监督人员批准</source>
        <translation>Awaiting the supervisor's approval</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="501"/>
        <source>监督人员未批准</source>
        <translation>Refused by the supervisor</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="502"/>
        <source>已批准，已发给投标人，待答复</source>
        <translation>Approved, sent to the bidder, awaiting the answer</translation>
    </message>
    <message>
        <location filename="../../app/ui/review_pages.py" line="503"/>
        <source>投标人已答复</source>
        <translation>The bidder has answered</translation>
    </message>
</context>
<context>
    <name>Role</name>
    <message>
        <location filename="../../app/ui/login.py" line="71"/>
        <source>专家</source>
        <translation>Expert</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="72"/>
        <source>监督人员</source>
        <translation>Supervisor</translation>
    </message>
    <message>
        <location filename="../../app/ui/login.py" line="73"/>
        <source>工作人员</source>
        <translation>Staff</translation>
    </message>
</context>
<context>
    <name>RoomSetupDialog</name>
    <message>
        <location filename="../../app/ui/room_setup.py" line="145"/>
        <source>考场配置</source>
        <translation>Venue configuration</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="145"/>
        <source>首次配置</source>
        <translation>First-time setup</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="150"/>
        <source>选择…</source>
        <translation>Choose…</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="156"/>
        <source>全屏锁定（退出需考场工作人员 PIN 码）</source>
        <translation>Full-screen lock (leaving needs the venue staff PIN)</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="162"/>
        <source>测试连接</source>
        <translation>Test the connection</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="164"/>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="166"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="175"/>
        <source>服务器地址</source>
        <translation>Server address</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="176"/>
        <source>平台根证书</source>
        <translation>Platform root certificate</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="177"/>
        <source>证书信息</source>
        <translation>Certificate details</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="178"/>
        <source>评标场地编号</source>
        <translation>Evaluation venue number</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="179"/>
        <source>全屏锁定</source>
        <translation>Full-screen lock</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="180"/>
        <source>工作人员 PIN 码</source>
        <translation>Staff PIN</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="181"/>
        <source>再次输入 PIN 码</source>
        <translation>Enter the PIN again</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="188"/>
        <source>配置文件：</source>
        <translation>Configuration file: </translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="195"/>
        <source>没有写入考场配置的权限：请以管理员身份运行 bideval --configure</source>
        <translation>No permission to write the venue configuration: run bideval --configure as an administrator</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="200"/>
        <source>证书 (*.pem *.crt *.cer)</source>
        <translation>Certificates (*.pem *.crt *.cer)</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="200"/>
        <source>选择平台根证书</source>
        <translation>Choose the platform root certificate</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="216"/>
        <source>SHA-256 指纹：</source>
        <translation>SHA-256 fingerprint: </translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="216"/>
        <source>颁发对象：</source>
        <translation>Issued to: </translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="222"/>
        <source>正在连接服务器…</source>
        <translation>Connecting to the server…</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="227"/>
        <source>连接成功，服务器证书由此平台根证书签发：</source>
        <translation>Connected; the server certificate is issued by this platform root certificate: </translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="240"/>
        <source>两次输入的 PIN 码不一致</source>
        <translation>The two PINs entered do not match</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="253"/>
        <source>正在保存…</source>
        <translation>Saving…</translation>
    </message>
    <message>
        <location filename="../../app/ui/room_setup.py" line="263"/>
        <source>已保存：</source>
        <translation>Saved: </translation>
    </message>
</context>
<context>
    <name>ScoreGridModel</name>
    <message>
        <location filename="../../app/models/score_grid.py" line="153"/>
        <source>合计</source>
        <translation>Total</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="155"/>
        <source>各项得分之和（只读）</source>
        <translation>Sum of the item scores (read-only)</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="397"/>
        <source>通过/不通过</source>
        <translation>Pass/fail</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="400"/>
        <location filename="../../app/models/score_grid.py" line="454"/>
        <source>否</source>
        <translation>No</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="400"/>
        <location filename="../../app/models/score_grid.py" line="454"/>
        <source>是</source>
        <translation>Yes</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="405"/>
        <source>步长</source>
        <translation>Step</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="411"/>
        <source>输入 1/y/通过 或 0/n/不通过 + 理由，例如「0 资质证书过期」</source>
        <translation>Enter 1/y/通过 or 0/n/不通过 + reason, e.g. “0 资质证书过期”</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="414"/>
        <source>输入 1/y/是 或 0/n/否；是得 {max} 分，否得 {min} 分</source>
        <translation>Enter 1/y/是 or 0/n/否; yes scores {max}, no scores {min}</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="420"/>
        <source>分值范围 {min}–{max}，步长 {step}</source>
        <translation>Score range {min}–{max}, step {step}</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="427"/>
        <source>满分 {max}，输入扣分及理由，例如「0.5 通报批评; 1 行政处罚」，无扣分输入「无」</source>
        <translation>Full marks {max}; enter deductions with reasons, e.g. “0.5 通报批评; 1 行政处罚”, or “无” for none</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="440"/>
        <source>扣分：</source>
        <translation>Deductions: </translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="443"/>
        <source>不通过理由：</source>
        <translation>Reason for fail: </translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="445"/>
        <source>错误：</source>
        <translation>Error: </translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="447"/>
        <source>服务器未接受：</source>
        <translation>Not accepted by the server: </translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="452"/>
        <source>不通过</source>
        <translation>Fail</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="452"/>
        <source>通过</source>
        <translation>Pass</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="484"/>
        <source>表决只需输入 是/否（1/0, y/n），不需要理由</source>
        <translation>A vote needs only yes/no (1/0, y/n), no reason</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="487"/>
        <source>价格分由系统计算，不能输入</source>
        <translation>The price score is calculated by the system and cannot be entered</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="493"/>
        <source>「{text}」不是有效的分数</source>
        <translation>“{text}” is not a valid score</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="506"/>
        <source>无法识别扣分「{part}」；格式为「扣分 理由」，例如「0.5 通报批评」</source>
        <translation>Cannot read the deduction “{part}”; the form is “points reason”, e.g. “0.5 通报批评”</translation>
    </message>
    <message>
        <location filename="../../app/models/score_grid.py" line="526"/>
        <source>无法识别「{text}」；请输入 1/y/通过/是 或 0/n/不通过/否</source>
        <translation>Cannot read “{text}”; enter 1/y/通过/是 or 0/n/不通过/否</translation>
    </message>
</context>
<context>
    <name>ScoreGridView</name>
    <message>
        <location filename="../../app/ui/score_grid.py" line="38"/>
        <source>查看相关页</source>
        <translation>Show related pages</translation>
    </message>
    <message>
        <location filename="../../app/ui/score_grid.py" line="90"/>
        <source>服务器未接受：</source>
        <translation>Not accepted by the server: </translation>
    </message>
</context>
<context>
    <name>SessionWindow</name>
    <message>
        <location filename="../../app/ui/session_window.py" line="121"/>
        <source>签到</source>
        <translation>Check in</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="122"/>
        <source>承诺书</source>
        <translation>Pledge</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="123"/>
        <source>回避声明</source>
        <translation>Recusal declaration</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="124"/>
        <source>推选组长</source>
        <translation>Leader election</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="125"/>
        <source>等待开始</source>
        <translation>Waiting to start</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="126"/>
        <source>初步评审</source>
        <translation>Preliminary review</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="127"/>
        <source>详细评审</source>
        <translation>Detailed review</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="128"/>
        <source>汇总</source>
        <translation>Summary</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="129"/>
        <source>评标报告</source>
        <translation>Evaluation report</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="136"/>
        <source>等待所有专家签到</source>
        <translation>Waiting for every expert to check in</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="140"/>
        <source>等待所有专家确认承诺书</source>
        <translation>Waiting for every expert to confirm the pledge</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="144"/>
        <source>等待所有专家作出回避声明</source>
        <translation>Waiting for every expert's recusal declaration</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="148"/>
        <source>等待所有专家投票推选组长</source>
        <translation>Waiting for every expert to vote for the committee leader</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="152"/>
        <source>等待所有专家提交初步评审</source>
        <translation>Waiting for every expert to submit the preliminary review</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="156"/>
        <source>等待所有专家提交详细评审</source>
        <translation>Waiting for every expert to submit the detailed review</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="160"/>
        <source>等待所有专家签署评标报告</source>
        <translation>Waiting for every expert to sign the evaluation report</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="173"/>
        <source>%1（未完成：%2）</source>
        <translation>%1 (not done: %2)</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="173"/>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="176"/>
        <source>等待监督人员批准开始</source>
        <translation>Waiting for the supervisor to approve the start</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="177"/>
        <source>等待组长 %1 申请开始</source>
        <translation>Waiting for committee leader %1 to ask to start</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="179"/>
        <source>等待组长 %1 汇总</source>
        <translation>Waiting for committee leader %1 to summarise</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="191"/>
        <source>流标：%1</source>
        <translation>Failed tender: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="193"/>
        <source>评标已终止</source>
        <translation>Evaluation terminated</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="205"/>
        <source>已暂停：%1</source>
        <translation>Paused: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="208"/>
        <source>需先完成「%1」</source>
        <translation>Complete “%1” first</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="899"/>
        <source>正在读取评标会话…</source>
        <translation>Loading the evaluation session…</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="939"/>
        <source>文件</source>
        <translation>Files</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="949"/>
        <source>澄清</source>
        <translation>Clarifications</translation>
    </message>
</context>
<context>
    <name>SummaryModel</name>
    <message>
        <location filename="../../app/models/summary.py" line="75"/>
        <source>尚未汇总</source>
        <translation>Not summarised yet</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="78"/>
        <source>评审回退申请正等待监督人员决定</source>
        <translation>The return request is waiting for the supervisor's decision</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="81"/>
        <source>客观分评分不一致，须申请更正: </source>
        <translation>Objective scores disagree; a correction must be requested: </translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="85"/>
        <source>缺少评分偏离说明: </source>
        <translation>Score deviation explanations missing: </translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="130"/>
        <source>… 未签署</source>
        <translation>… not signed</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="132"/>
        <source>✓ 已签署</source>
        <translation>✓ Signed</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="134"/>
        <source>拒绝签字 (未说明理由, 视为同意)</source>
        <translation>Refused to sign (no reasons given: deemed to agree)</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="136"/>
        <source>✓ 已签署 (同意)</source>
        <translation>✓ Signed (agrees)</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="138"/>
        <source>✗ 已签署 (不同意): </source>
        <translation>✗ Signed (dissents): </translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="233"/>
        <source>不一致</source>
        <translation>Mismatch</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="262"/>
        <source>投标人</source>
        <translation>Bidder</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="264"/>
        <source>价格分</source>
        <translation>Price score</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="266"/>
        <source>总分</source>
        <translation>Total score</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="312"/>
        <source>各专家评分:</source>
        <translation>Scores by expert:</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="319"/>
        <source>已说明</source>
        <translation>Explained</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="319"/>
        <source>待说明</source>
        <translation>Explanation due</translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="320"/>
        <source>偏离平均分 </source>
        <translation>Deviates from the average </translation>
    </message>
    <message>
        <location filename="../../app/models/summary.py" line="325"/>
        <source>客观分评分不一致: 须按87号令第64条申请更正</source>
        <translation>Objective scores disagree: a correction must be requested under Order No. 87, Article 64</translation>
    </message>
</context>
<context>
    <name>SupervisorWindow</name>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="89"/>
        <source>待监督审批</source>
        <translation>Awaiting supervisor approval</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="90"/>
        <source>未批准</source>
        <translation>Not approved</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="91"/>
        <source>已发出</source>
        <translation>Sent</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="92"/>
        <source>已答复</source>
        <translation>Answered</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="128"/>
        <source>签到</source>
        <translation>Checked in</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="130"/>
        <source>确认承诺书</source>
        <translation>Confirmed the pledge</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="133"/>
        <source>声明无利害关系</source>
        <translation>Declared no conflict of interest</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="133"/>
        <source>声明需要回避</source>
        <translation>Declared grounds for recusal</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="135"/>
        <source>监督人员决定 %1 回避</source>
        <translation>The supervisor decided that %1 is recused</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="138"/>
        <source>候补专家 %2 替换 %1</source>
        <translation>Alternate expert %2 replaces %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="143"/>
        <source>开始推选组长, 第 %1 轮</source>
        <translation>Committee leader election started, round %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="145"/>
        <source>投票推选组长</source>
        <translation>Voted for the committee leader</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="147"/>
        <source>推选组长票数相同, 进入下一轮</source>
        <translation>Committee leader election tied; next round</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="149"/>
        <source>当选组长: %1</source>
        <translation>Elected committee leader: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="151"/>
        <source>组长申请开始评标</source>
        <translation>The committee leader asked to start the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="153"/>
        <source>监督人员批准开始评标</source>
        <translation>The supervisor approved the start of the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="155"/>
        <source>监督人员不批准开始评标</source>
        <translation>The supervisor refused the start of the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="158"/>
        <source>进入「%1」</source>
        <translation>Entered “%1”</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="160"/>
        <source>记录初步评审意见</source>
        <translation>Recorded a preliminary review verdict</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="162"/>
        <source>提交初步评审</source>
        <translation>Submit the preliminary review</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="164"/>
        <source>初步评审结论形成</source>
        <translation>Preliminary review conclusion reached</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="166"/>
        <source>流标</source>
        <translation>Failed tender</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="168"/>
        <source>重新打开详细评审表</source>
        <translation>Reopened the detailed review sheet</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="170"/>
        <source>提出澄清问题 %1</source>
        <translation>Asked clarification question %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="172"/>
        <source>监督人员批准澄清问题 %1</source>
        <translation>The supervisor approved clarification question %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="174"/>
        <source>监督人员未批准澄清问题 %1</source>
        <translation>The supervisor refused clarification question %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="177"/>
        <source>投标人答复澄清问题 %1</source>
        <translation>The bidder answered clarification question %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="179"/>
        <source>记录详细评审评分</source>
        <translation>Recorded a detailed review score</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="181"/>
        <source>提交详细评审</source>
        <translation>Submit the detailed review</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="183"/>
        <source>组长完成汇总</source>
        <translation>The committee leader completed the summary</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="185"/>
        <source>提交评分偏离说明</source>
        <translation>Submitted a score deviation explanation</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="187"/>
        <source>申请修正 %1 的评分</source>
        <translation>Requested a correction of %1's scores</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="189"/>
        <source>组长申请回退到「%1」</source>
        <translation>The committee leader requested a return to “%1”</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="192"/>
        <source>监督人员批准回退到「%1」</source>
        <translation>The supervisor approved the return to “%1”</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="195"/>
        <source>监督人员未批准回退到「%1」</source>
        <translation>The supervisor refused the return to “%1”</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="198"/>
        <source>确定排名</source>
        <translation>Decided the ranking</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="200"/>
        <source>签署评标报告</source>
        <translation>Signed the evaluation report</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="200"/>
        <source>签署评标报告 (不同意见)</source>
        <translation>Signed the evaluation report (dissent)</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="202"/>
        <source>拒绝签字</source>
        <translation>Refused to sign</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="204"/>
        <location filename="../../app/ui/supervisor_window.py" line="331"/>
        <source>暂停评标</source>
        <translation>Pause the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="206"/>
        <location filename="../../app/ui/supervisor_window.py" line="332"/>
        <source>恢复评标</source>
        <translation>Resume the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="219"/>
        <source>系统</source>
        <translation>System</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="301"/>
        <location filename="../../app/ui/supervisor_window.py" line="603"/>
        <source>正在读取评标会话…</source>
        <translation>Loading the evaluation session…</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="326"/>
        <location filename="../../app/ui/supervisor_window.py" line="345"/>
        <location filename="../../app/ui/supervisor_window.py" line="352"/>
        <source>意见 (不批准时必填)</source>
        <translation>Note (required to refuse)</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="327"/>
        <source>批准开始</source>
        <translation>Approve the start</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="328"/>
        <location filename="../../app/ui/supervisor_window.py" line="347"/>
        <source>不批准</source>
        <translation>Refuse</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="330"/>
        <source>暂停或恢复的理由 (必填)</source>
        <translation>Reason for pausing or resuming (required)</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="337"/>
        <source>回避理由 (必填)</source>
        <translation>Reason for the recusal (required)</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="338"/>
        <source>决定回避</source>
        <translation>Decide recusal</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="341"/>
        <source>由候补专家替换</source>
        <translation>Replaced by an alternate expert</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="346"/>
        <source>批准发出</source>
        <translation>Approve and send</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="353"/>
        <source>批准回退</source>
        <translation>Approve the return</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="354"/>
        <source>不批准回退</source>
        <translation>Refuse the return</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="391"/>
        <source>开始评标</source>
        <translation>Start the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="399"/>
        <source>暂停与恢复</source>
        <translation>Pause and resume</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="414"/>
        <source>决定专家回避</source>
        <translation>Decide an expert's recusal</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="424"/>
        <source>候补专家替换</source>
        <translation>Replace with an alternate expert</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="426"/>
        <source>已回避的专家</source>
        <translation>Recused expert</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="427"/>
        <source>候补专家</source>
        <translation>Alternate expert</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="453"/>
        <source>开始与暂停</source>
        <translation>Start and pause</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="454"/>
        <source>回避与替换</source>
        <translation>Recusal and replacement</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="455"/>
        <source>澄清审批</source>
        <translation>Clarification approval</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="456"/>
        <source>回退审批</source>
        <translation>Return approval</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="458"/>
        <source>评标动态</source>
        <translation>Evaluation activity</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="461"/>
        <source>审计日志见证</source>
        <translation>Audit log witness</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="476"/>
        <source>评标委员会进度</source>
        <translation>Committee progress</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="477"/>
        <source>汇总与排名</source>
        <translation>Summary and ranking</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="520"/>
        <source>当前步骤: </source>
        <translation>Current step: </translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="580"/>
        <source>组长申请回退到「%1」, 理由: </source>
        <translation>The committee leader requested a return to “%1”, reason: </translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="583"/>
        <source>没有待审批的回退申请。</source>
        <translation>No return request is waiting for approval.</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="605"/>
        <source>评标已结束</source>
        <translation>Evaluation closed</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="607"/>
        <source>上一项决定正在同步到服务器…</source>
        <translation>The previous decision is being synced to the server…</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="616"/>
        <source>评标已暂停, 请先恢复</source>
        <translation>The evaluation is paused; resume it first</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="621"/>
        <source>只有在「等待开始」步骤才能批准开始</source>
        <translation>The start can only be approved at the “waiting to start” step</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="623"/>
        <source>组长尚未申请开始</source>
        <translation>The committee leader has not asked to start yet</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="630"/>
        <source>组长 %1 已申请开始评标。</source>
        <translation>Committee leader %1 has asked to start the evaluation.</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="635"/>
        <source>评标已暂停</source>
        <translation>Evaluation paused</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="639"/>
        <source>评标未暂停</source>
        <translation>The evaluation is not paused</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="644"/>
        <source>没有在席的专家</source>
        <translation>No expert is present</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="648"/>
        <source>没有已回避、待替换的专家</source>
        <translation>No recused expert is waiting to be replaced</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="650"/>
        <source>没有可用的候补专家</source>
        <translation>No alternate expert is available</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="657"/>
        <source>只有在初步评审或详细评审中才能审批澄清</source>
        <translation>Clarifications can only be approved during the preliminary or detailed review</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="661"/>
        <source>请先选择一个澄清问题</source>
        <translation>Select a clarification question first</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="663"/>
        <source>该澄清问题不在待审批状态</source>
        <translation>This clarification question is not waiting for approval</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="670"/>
        <source>没有待审批的回退申请</source>
        <translation>No return request is waiting for approval</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="698"/>
        <source>不批准开始须填写意见</source>
        <translation>A note is required to refuse the start</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="704"/>
        <source>暂停评标须填写理由</source>
        <translation>A reason is required to pause the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="709"/>
        <source>恢复评标须填写理由</source>
        <translation>A reason is required to resume the evaluation</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="719"/>
        <source>请至少选择一项回避事由</source>
        <translation>Select at least one ground for recusal</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="721"/>
        <source>决定回避须填写理由</source>
        <translation>A reason is required to decide a recusal</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="741"/>
        <source>不批准澄清须填写意见</source>
        <translation>A note is required to refuse the clarification</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="750"/>
        <source>不批准回退须填写意见</source>
        <translation>A note is required to refuse the return</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="841"/>
        <source>审计日志校验失败: </source>
        <translation>Audit log verification failed: </translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="847"/>
        <source>本客户端未启用审计日志见证。</source>
        <translation>The audit log witness is not enabled in this client.</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="852"/>
        <source>已核验的日志树头: %1 条记录; 本人已联署树头: %2 个</source>
        <translation>Verified log tree head: %1 entries; tree heads I have cosigned: %2</translation>
    </message>
    <message>
        <location filename="../../app/ui/supervisor_window.py" line="857"/>
        <source>最近一次核验失败: </source>
        <translation>Last verification failed: </translation>
    </message>
</context>
<context>
    <name>SyncStatusLabels</name>
    <message>
        <location filename="../../app/ui/status_bar.py" line="28"/>
        <source>已连接</source>
        <translation>Connected</translation>
    </message>
    <message>
        <location filename="../../app/ui/status_bar.py" line="31"/>
        <source>离线自 %1</source>
        <translation>Offline since %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/status_bar.py" line="32"/>
        <source>正在重新连接…</source>
        <translation>Reconnecting…</translation>
    </message>
    <message>
        <location filename="../../app/ui/status_bar.py" line="36"/>
        <source>未同步变更: %1</source>
        <translation>Unsynced changes: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/status_bar.py" line="41"/>
        <source>上次同步: %1</source>
        <translation>Last sync: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/status_bar.py" line="60"/>
        <source>正在连接…</source>
        <translation>Connecting…</translation>
    </message>
</context>
<context>
    <name>WaitingPage</name>
    <message>
        <location filename="../../app/ui/session_window.py" line="534"/>
        <source>申请开始</source>
        <translation>Ask to start</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="538"/>
        <source>&lt;h3&gt;等待开始评标&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Waiting for the evaluation to start&lt;/h3&gt;</translation>
    </message>
    <message>
        <location filename="../../app/ui/session_window.py" line="553"/>
        <source>组长：%1。</source>
        <translation>Committee leader: %1. </translation>
    </message>
</context>
<context>
    <name>WindowTitle</name>
    <message>
        <location filename="../../app/ui/login.py" line="107"/>
        <source>远程异地评标系统 — %1 — %2 (%3)</source>
        <translation>Remote Off-site Bid Evaluation — %1 — %2 (%3)</translation>
    </message>
</context>
<context>
    <name>errors</name>
    <message>
        <location filename="../../app/errors.py" line="30"/>
        <source>无法连接评标服务器，请检查网络或服务器地址</source>
        <translation>Cannot reach the evaluation server; check the network or the server address</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="31"/>
        <source>服务器响应超时，稍后自动重试</source>
        <translation>The server did not answer in time; retrying shortly</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="32"/>
        <source>身份认证失败</source>
        <translation>Authentication failed</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="33"/>
        <source>无权执行此操作</source>
        <translation>You are not permitted to do this</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="34"/>
        <source>当前步骤不允许此操作</source>
        <translation>Not allowed at the current step</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="35"/>
        <source>输入有误</source>
        <translation>Invalid input</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="36"/>
        <source>未找到</source>
        <translation>Not found</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="61"/>
        <source>凭证与本考场配置的平台证书不一致，请联系考场工作人员：</source>
        <translation>The credential does not match the platform certificate configured for this venue; contact the venue staff: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="63"/>
        <source>无法保存考场配置，请以管理员身份运行配置程序：</source>
        <translation>Cannot save the venue configuration; run the configuration as an administrator: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="65"/>
        <source>平台根证书文件有误：</source>
        <translation>The platform root certificate file is invalid: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="67"/>
        <source>考场配置有误，请联系考场工作人员：</source>
        <translation>The venue configuration is invalid; contact the venue staff: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="70"/>
        <source>无法连接评标服务器，请检查网络或服务器地址：</source>
        <translation>Cannot reach the evaluation server; check the network or the server address: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="71"/>
        <source>服务器证书与平台根证书不符：</source>
        <translation>The server certificate does not match the platform root certificate: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="74"/>
        <source>磁盘空间不足，已录入的内容未丢失；请联系考场工作人员清理磁盘：</source>
        <translation>The disk is full; nothing entered so far is lost. Contact the venue staff to free disk space: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="78"/>
        <source>数据目录不可写，请联系考场工作人员：</source>
        <translation>The data folder is not writable; contact the venue staff: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="80"/>
        <source>无法读写本地文件：</source>
        <translation>Cannot read or write local files: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="82"/>
        <source>PIN 码错误，无法打开本地缓存</source>
        <translation>Wrong PIN: the local cache cannot be opened</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="85"/>
        <source>本地缓存已损坏，文件已原样保留，请联系考场工作人员：</source>
        <translation>The local cache is damaged; the file was left as it is. Please call the room staff: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="87"/>
        <source>本机没有该场次的本地缓存</source>
        <translation>This computer has no local cache of this session</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="89"/>
        <source>本地缓存出错：</source>
        <translation>Local cache error: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="105"/>
        <source>PIN 码错误</source>
        <translation>Wrong PIN</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="107"/>
        <source>凭证文件已损坏，请联系交易中心：</source>
        <translation>The credential file is damaged; contact the trading centre: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="109"/>
        <source>无法读取凭证文件：</source>
        <translation>Cannot read the credential file: </translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="114"/>
        <source>客户端版本过旧，请联系考场工作人员安装新版本</source>
        <translation>This client version is too old; contact the venue staff to install a new version</translation>
    </message>
    <message>
        <location filename="../../app/errors.py" line="116"/>
        <source>服务器错误（%1）</source>
        <translation>Server error (%1)</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <location filename="../../app/main.py" line="82"/>
        <location filename="../../app/main.py" line="153"/>
        <source>远程异地评标系统</source>
        <translation>Remote Off-site Bid Evaluation</translation>
    </message>
    <message>
        <location filename="../../app/main.py" line="89"/>
        <source>评标客户端已在运行，请切换到已打开的窗口。</source>
        <translation>The evaluation client is already running; switch to the window that is open.</translation>
    </message>
    <message>
        <location filename="../../app/main.py" line="101"/>
        <location filename="../../app/main.py" line="154"/>
        <source>工作人员可运行 bideval --configure 重新配置。</source>
        <translation>Staff can run bideval --configure to configure it again.</translation>
    </message>
</context>
</TS>
