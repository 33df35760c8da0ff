; bideval client installer for Windows (NSIS 3, Unicode). Per-machine install of the frozen client.
;
; Build on Windows after PyInstaller (see docs/installing.md):
;   makensis /DVERSION=0.1.0 installer\windows\bideval.nsi
; Inputs (override with /D): DIST = the PyInstaller folder (default ..\..\dist\bideval, relative to this
; script), OUTFILE = the setup program (default ..\..\dist\bideval-client-setup-VERSION.exe).
;
; Command line of the setup program (all optional; the three room values only together):
;   /S                 silent install (room PCs deployed by script or software distribution)
;   /SERVER=host:port  /CA=path\to\platform-ca.pem  /VENUE=venue-id
;                      write %ProgramData%\bideval\room.toml (and copy the CA next to it), which is what
;                      `bideval --configure` writes; without them an existing configuration is kept and a
;                      first install asks staff at the client's first start.
; Upgrade: an existing installation is found in the registry, its program files are removed by its own
; uninstaller (silently, keeping %ProgramData%\bideval), then the new version is installed in the same
; folder. Uninstall keeps the room configuration unless staff agree to remove it (or /PURGE when silent).

Unicode true
ManifestDPIAware true
RequestExecutionLevel admin
SetCompressor /SOLID lzma

!ifndef VERSION
  !define VERSION "0.1.0"
!endif
!ifndef DIST
  !define DIST "..\..\dist\bideval"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\..\dist\bideval-client-setup-${VERSION}.exe"
!endif
!define APP "bideval"
!define DISPLAY_NAME "远程异地评标"
!define PUBLISHER "bideval"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\bideval"
!define ICON "..\..\resources\icons\bideval.ico"

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"

Name "${DISPLAY_NAME}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${APP}"
InstallDirRegKey HKLM "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${DISPLAY_NAME} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${DISPLAY_NAME}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${DISPLAY_NAME} setup"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "${PUBLISHER}"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\bideval.exe"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"

LangString MsgNeed64 ${LANG_SIMPCHINESE} "本客户端需要 64 位 Windows（Windows 10 或更高版本）。"
LangString MsgNeed64 ${LANG_ENGLISH} "This client needs 64-bit Windows (Windows 10 or later)."
LangString MsgRunning ${LANG_SIMPCHINESE} "评标客户端正在运行。请先关闭它，再点“重试”。"
LangString MsgRunning ${LANG_ENGLISH} "The evaluation client is running. Close it, then click Retry."
LangString MsgRoomPartial ${LANG_SIMPCHINESE} "/SERVER=、/CA= 和 /VENUE= 需要同时给出；评标室配置未写入。"
LangString MsgRoomPartial ${LANG_ENGLISH} "/SERVER=, /CA= and /VENUE= go together; the room configuration was not written."
LangString MsgCaMissing ${LANG_SIMPCHINESE} "找不到平台根证书文件："
LangString MsgCaMissing ${LANG_ENGLISH} "Platform CA file not found: "
LangString MsgPurge ${LANG_SIMPCHINESE} "是否同时删除本机的评标室配置（服务器地址、平台根证书、场地编号）？$\n重新安装时需要重新配置。"
LangString MsgPurge ${LANG_ENGLISH} "Also remove this PC's room configuration (server, platform CA, venue)?$\nA new install then needs to be configured again."
LangString LinkConfigure ${LANG_SIMPCHINESE} "评标室配置（工作人员）"
LangString LinkConfigure ${LANG_ENGLISH} "Room setup (staff)"
LangString LinkSelfTest ${LANG_SIMPCHINESE} "安装自检（工作人员）"
LangString LinkSelfTest ${LANG_ENGLISH} "Installation self-test (staff)"

Var RoomServer
Var RoomCa
Var RoomVenue
Var ProgramData

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "$(MsgNeed64)" /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
  ReadEnvStr $ProgramData "ProgramData"
  ${If} $ProgramData == ""
    StrCpy $ProgramData "C:\ProgramData"
  ${EndIf}
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/SERVER=" $RoomServer
  ${GetOptions} $R0 "/CA=" $RoomCa
  ${GetOptions} $R0 "/VENUE=" $RoomVenue
  ; An upgrade installs into the folder of the existing installation, wherever staff put it.
  ReadRegStr $R1 HKLM "${UNINSTALL_KEY}" "InstallLocation"
  ${If} $R1 != ""
    StrCpy $INSTDIR $R1
  ${EndIf}
FunctionEnd

Function un.onInit
  SetRegView 64
  SetShellVarContext all
  ReadEnvStr $ProgramData "ProgramData"
  ${If} $ProgramData == ""
    StrCpy $ProgramData "C:\ProgramData"
  ${EndIf}
FunctionEnd

; The client holds its files open while running: wait for staff to close it rather than half-replace it.
Function WaitForClosedClient
  retry:
  ClearErrors
  ${If} ${FileExists} "$INSTDIR\bideval.exe"
    FileOpen $R9 "$INSTDIR\bideval.exe" a
    ${If} ${Errors}
      MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(MsgRunning)" /SD IDCANCEL IDRETRY retry
      Abort
    ${EndIf}
    FileClose $R9
  ${EndIf}
FunctionEnd

Section "bideval" SecMain
  SectionIn RO
  Call WaitForClosedClient

  ; Upgrade: let the installed version's uninstaller remove its own files (it keeps %ProgramData%), so
  ; no stale library of the old version stays next to the new ones.
  ReadRegStr $R0 HKLM "${UNINSTALL_KEY}" "UninstallString"
  ${If} $R0 != ""
  ${AndIf} ${FileExists} "$INSTDIR\uninstall.exe"
    DetailPrint "Removing the previous version from $INSTDIR"
    ExecWait '"$INSTDIR\uninstall.exe" /S /UPGRADE _?=$INSTDIR'
    Delete "$INSTDIR\uninstall.exe"
  ${EndIf}

  SetOutPath "$INSTDIR"
  File /r "${DIST}\*.*"
  File "/oname=bideval.ico" "${ICON}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; Start menu, for everyone on this PC.
  CreateShortCut "$SMPROGRAMS\${DISPLAY_NAME}.lnk" "$INSTDIR\bideval.exe" "" "$INSTDIR\bideval.ico"
  CreateDirectory "$SMPROGRAMS\${DISPLAY_NAME} 工具"
  CreateShortCut "$SMPROGRAMS\${DISPLAY_NAME} 工具\$(LinkConfigure).lnk" "$INSTDIR\bideval.exe" "--configure" "$INSTDIR\bideval.ico"
  ; The windowed client has no console: a small script waits for it and shows the report it wrote.
  FileOpen $R0 "$INSTDIR\self-test.cmd" w
  FileWrite $R0 "@echo off$\r$\n"
  FileWrite $R0 'start "" /wait "%~dp0bideval.exe" --self-test %*$\r$\n'
  FileWrite $R0 'type "%TEMP%\bideval-self-test.log"$\r$\n'
  FileWrite $R0 "pause$\r$\n"
  FileClose $R0
  CreateShortCut "$SMPROGRAMS\${DISPLAY_NAME} 工具\$(LinkSelfTest).lnk" "$INSTDIR\self-test.cmd" "" "$INSTDIR\bideval.ico"

  ; Add/Remove Programs.
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${DISPLAY_NAME}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\bideval.ico"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $R1 $R2 $R3
  IntFmt $R1 "0x%08X" $R1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $R1

  Call WriteRoomConfig
SectionEnd

; %ProgramData%\bideval: readable by everyone, writable only by administrators and SYSTEM, so experts
; cannot point the client at another server or CA. The same ACL `bideval --configure` relies on.
Function ProtectRoomFolder
  CreateDirectory "$ProgramData\bideval"
  nsExec::ExecToLog 'icacls "$ProgramData\bideval" /inheritance:r /grant:r *S-1-5-32-544:(OI)(CI)F *S-1-5-18:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX'
  Pop $R0
FunctionEnd

; The same file `bideval --configure` writes (app/room_config.py): server, ca_file (relative to the
; file), venue_id, kiosk. Values are plain ASCII (checked by the client on every start); kiosk mode needs
; a staff PIN, which is set in the client's room setup, not on a command line.
Function WriteRoomConfig
  ${If} $RoomServer == ""
  ${AndIf} $RoomCa == ""
  ${AndIf} $RoomVenue == ""
    Call ProtectRoomFolder
    Return  ; keep whatever configuration this PC has
  ${EndIf}
  ${If} $RoomServer == ""
  ${OrIf} $RoomCa == ""
  ${OrIf} $RoomVenue == ""
    MessageBox MB_ICONEXCLAMATION "$(MsgRoomPartial)" /SD IDOK
    Return
  ${EndIf}
  ${IfNot} ${FileExists} "$RoomCa"
    MessageBox MB_ICONEXCLAMATION "$(MsgCaMissing)$RoomCa" /SD IDOK
    Return
  ${EndIf}
  Call ProtectRoomFolder
  CopyFiles /SILENT "$RoomCa" "$ProgramData\bideval\platform-ca.pem"
  FileOpen $R0 "$ProgramData\bideval\room.toml.tmp" w
  FileWrite $R0 "# bideval room configuration: written by the installer (staff only)$\r$\n"
  FileWrite $R0 'server = "$RoomServer"$\r$\n'
  FileWrite $R0 'ca_file = "platform-ca.pem"$\r$\n'
  FileWrite $R0 'venue_id = "$RoomVenue"$\r$\n'
  FileWrite $R0 "kiosk = false$\r$\n"
  FileClose $R0
  Delete "$ProgramData\bideval\room.toml"
  Rename "$ProgramData\bideval\room.toml.tmp" "$ProgramData\bideval\room.toml"
  DetailPrint "Room configuration written: $ProgramData\bideval\room.toml"
FunctionEnd

Section "Uninstall"
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/UPGRADE" $R1
  ${If} ${Errors}
    StrCpy $R2 "remove"
  ${Else}
    StrCpy $R2 "upgrade"
  ${EndIf}

  ; Program files only: the folder is ours, created by this installer.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\bideval.exe"
  Delete "$INSTDIR\bideval.ico"
  Delete "$INSTDIR\self-test.cmd"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  ${If} $R2 == "upgrade"
    Return  ; the new version writes its own shortcuts and registry entries
  ${EndIf}

  Delete "$SMPROGRAMS\${DISPLAY_NAME}.lnk"
  RMDir /r "$SMPROGRAMS\${DISPLAY_NAME} 工具"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"

  ; The room configuration is the staff's work: kept by default (silent uninstall keeps it unless /PURGE).
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  ${IfNot} ${Errors}
    RMDir /r "$ProgramData\bideval"
  ${ElseIf} ${FileExists} "$ProgramData\bideval\*.*"
    MessageBox MB_YESNO|MB_DEFBUTTON2|MB_ICONQUESTION "$(MsgPurge)" /SD IDNO IDNO keep_room
    RMDir /r "$ProgramData\bideval"
    keep_room:
  ${EndIf}
  ; Experts' own data (%LOCALAPPDATA%\bideval, the encrypted session caches) is theirs: never touched here.
SectionEnd
