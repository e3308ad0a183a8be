Attribute VB_Name = "GetAvatar"
' ==================================================================================================
' getavatar for Excel: GREEN-API getAvatar (MAX, v3) as worksheet functions and macros.
' Reference: bindings/vba/README.md (install, settings, what IT must allow).
'
' Install: put the x64\ and x86\ folders (each with getavatar.dll) next to the workbook, or in
' %LOCALAPPDATA%\getavatar\; then in the VBA editor: File > Import File... > GetAvatar.bas.
'
' Once per computer and instance: run the macro GaSaveToken (Alt+F8). It asks for apiUrl,
' idInstance and the token, keeps the token in Windows Credential Manager ("getavatar/<idInstance>")
' and apiUrl and idInstance in the workbook's custom document properties. No token in any cell.
'
' In cells (a ";" locale writes ";" where these show ","):
'   =GaConnect("https://3100.api.green-api.com", "3100000001")  -> "connected" (optional: the first
'                           lookup after opening the workbook reconnects by itself)
'   =GaAvatarUrl(A2)        -> the link, "" when none, or "#GA_ERR_...: message" (never an Excel error)
'   =GaAvatarAvailable(A2)  -> TRUE, FALSE, "unknown", or "#GA_ERR_...: message"
'   =GaAvatarUrls(A2:A500)  -> one link per id in a column: spills in Excel 365/2021; in Excel
'                              2010-2019 select B2:B500, type it, press Ctrl+Shift+Enter
'   =IMAGE(GaAvatarUrl(A2)) -> the picture in the cell (Excel 365)
'   =GaDownloadAvatar(A2, "C:\Avatars\" & A2 & ".jpg")  -> the path written, "" when none, or "#GA_ERR_..."
' In macros (Esc stops the long ones between lookups; progress shows in the status bar):
'   GaInsertAvatars Range("A2:A20")          ' each avatar over the cell to the right
'   GaDownloadAvatars Range("A2:A20"), "C:\Avatars"
'   url = GaGetAvatar("10000000")      ' raises a VBA error (Err.Number = vbObjectError + 512 + status)
'   GaSetLibraryPath "C:\Tools\getavatar"   ' if the DLL is elsewhere
'   GaSetProxy "http://proxy.corp:3128"     ' default "system" (Internet Options, PAC); "direct" for none
'   GaSetDeadline 20000                     ' each lookup's total time (GaConnect sets 10 s)
'   GaDisconnect
'
' Every Declare below matches include/getavatar.h: pointers are LongPtr (VBA7) or Long (older
' hosts), int32_t is Long. 32-bit DLLs export __stdcall functions, as VBA requires.
' Strings cross as UTF-8: non-ASCII text survives both ways.
' ==================================================================================================
Option Explicit

#If VBA7 Then
Private Declare PtrSafe Function ga_client_new Lib "getavatar.dll" (ByVal apiUrl As LongPtr, ByVal idInstance As LongPtr, ByVal apiTokenInstance As LongPtr) As LongPtr
Private Declare PtrSafe Sub ga_client_free Lib "getavatar.dll" (ByVal client As LongPtr)
Private Declare PtrSafe Function ga_get_avatar Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr) As LongPtr
Private Declare PtrSafe Sub ga_free Lib "getavatar.dll" (ByVal ptr As LongPtr)
Private Declare PtrSafe Function ga_last_error Lib "getavatar.dll" () As LongPtr
Private Declare PtrSafe Function ga_status_name Lib "getavatar.dll" (ByVal status As Long) As LongPtr
Private Declare PtrSafe Function ga_version Lib "getavatar.dll" () As LongPtr
Private Declare PtrSafe Function ga_client_set_timeout_ms Lib "getavatar.dll" (ByVal client As LongPtr, ByVal ms As Long) As Long
Private Declare PtrSafe Function ga_client_set_deadline_ms Lib "getavatar.dll" (ByVal client As LongPtr, ByVal ms As Long) As Long
Private Declare PtrSafe Function ga_client_set_max_retries Lib "getavatar.dll" (ByVal client As LongPtr, ByVal retries As Long) As Long
Private Declare PtrSafe Function ga_client_set_rate_limit Lib "getavatar.dll" (ByVal client As LongPtr, ByVal perSecond As Long) As Long
Private Declare PtrSafe Function ga_client_set_backoff_ms Lib "getavatar.dll" (ByVal client As LongPtr, ByVal ms As Long) As Long
Private Declare PtrSafe Function ga_client_set_concurrency Lib "getavatar.dll" (ByVal client As LongPtr, ByVal n As Long) As Long
Private Declare PtrSafe Function ga_get_avatars Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatIds As LongPtr, ByVal count As Long, ByVal results As LongPtr) As Long
Private Declare PtrSafe Function ga_client_set_ca_file Lib "getavatar.dll" (ByVal client As LongPtr, ByVal path As LongPtr) As Long
Private Declare PtrSafe Function ga_client_set_trust Lib "getavatar.dll" (ByVal client As LongPtr, ByVal trust As Long) As Long
Private Declare PtrSafe Function ga_client_set_cache_ttl Lib "getavatar.dll" (ByVal client As LongPtr, ByVal seconds As Long) As Long
Private Declare PtrSafe Function ga_client_new_from_env Lib "getavatar.dll" () As LongPtr
Private Declare PtrSafe Function ga_client_set_user_agent Lib "getavatar.dll" (ByVal client As LongPtr, ByVal userAgent As LongPtr) As Long
Private Declare PtrSafe Function ga_client_set_proxy Lib "getavatar.dll" (ByVal client As LongPtr, ByVal url As LongPtr) As Long
Private Declare PtrSafe Function ga_client_use_env_proxy Lib "getavatar.dll" (ByVal client As LongPtr) As Long
Private Declare PtrSafe Function ga_download_avatar Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr, ByVal path As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_download_avatar_bytes Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_cancel_new Lib "getavatar.dll" () As LongPtr
Private Declare PtrSafe Sub ga_cancel Lib "getavatar.dll" (ByVal cancel As LongPtr)
Private Declare PtrSafe Sub ga_cancel_free Lib "getavatar.dll" (ByVal cancel As LongPtr)
Private Declare PtrSafe Function ga_get_avatar_cancellable Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr, ByVal cancel As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_get_avatars_cancellable Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatIds As LongPtr, ByVal count As Long, ByVal results As LongPtr, ByVal cancel As LongPtr) As Long
Private Declare PtrSafe Function ga_download_avatar_cancellable Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr, ByVal path As LongPtr, ByVal cancel As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_download_avatar_bytes_cancellable Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr, ByVal cancel As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_client_set_idle_timeout_ms Lib "getavatar.dll" (ByVal client As LongPtr, ByVal ms As Long) As Long
Private Declare PtrSafe Function ga_client_warm_up Lib "getavatar.dll" (ByVal client As LongPtr) As Long

' The stored token (Windows Credential Manager); keep this group together.
Private Declare PtrSafe Function ga_client_new_from_credential Lib "getavatar.dll" (ByVal apiUrl As LongPtr, ByVal idInstance As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_credential_save Lib "getavatar.dll" (ByVal idInstance As LongPtr, ByVal apiTokenInstance As LongPtr) As Long
Private Declare PtrSafe Function ga_credential_prompt Lib "getavatar.dll" (ByVal idInstance As LongPtr) As Long
Private Declare PtrSafe Function ga_credential_delete Lib "getavatar.dll" (ByVal idInstance As LongPtr) As Long

Private Declare PtrSafe Function LoadLibraryW Lib "kernel32" (ByVal lpLibFileName As LongPtr) As LongPtr
Private Declare PtrSafe Function lstrlenA Lib "kernel32" (ByVal lpString As LongPtr) As Long
Private Declare PtrSafe Sub RtlMoveMemory Lib "kernel32" (ByVal Destination As LongPtr, ByVal Source As LongPtr, ByVal Length As LongPtr)
Private Declare PtrSafe Function MultiByteToWideChar Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpMultiByteStr As LongPtr, ByVal cbMultiByte As Long, ByVal lpWideCharStr As LongPtr, ByVal cchWideChar As Long) As Long
Private Declare PtrSafe Function WideCharToMultiByte Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpWideCharStr As LongPtr, ByVal cchWideChar As Long, ByVal lpMultiByteStr As LongPtr, ByVal cbMultiByte As Long, ByVal lpDefaultChar As LongPtr, ByVal lpUsedDefaultChar As LongPtr) As Long

' The registry, read only, to find OneDrive's local folders.
Private Declare PtrSafe Function RegOpenKeyExW Lib "advapi32" (ByVal hKey As LongPtr, ByVal lpSubKey As LongPtr, ByVal ulOptions As Long, ByVal samDesired As Long, ByVal phkResult As LongPtr) As Long
Private Declare PtrSafe Function RegEnumKeyExW Lib "advapi32" (ByVal hKey As LongPtr, ByVal dwIndex As Long, ByVal lpName As LongPtr, ByVal lpcchName As LongPtr, ByVal lpReserved As LongPtr, ByVal lpClass As LongPtr, ByVal lpcchClass As LongPtr, ByVal lpftLastWriteTime As LongPtr) As Long
Private Declare PtrSafe Function RegQueryValueExW Lib "advapi32" (ByVal hKey As LongPtr, ByVal lpValueName As LongPtr, ByVal lpReserved As LongPtr, ByVal lpType As LongPtr, ByVal lpData As LongPtr, ByVal lpcbData As LongPtr) As Long
Private Declare PtrSafe Function RegCloseKey Lib "advapi32" (ByVal hKey As LongPtr) As Long
#Else
Private Declare Function ga_client_new Lib "getavatar.dll" (ByVal apiUrl As Long, ByVal idInstance As Long, ByVal apiTokenInstance As Long) As Long
Private Declare Sub ga_client_free Lib "getavatar.dll" (ByVal client As Long)
Private Declare Function ga_get_avatar Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long) As Long
Private Declare Sub ga_free Lib "getavatar.dll" (ByVal ptr As Long)
Private Declare Function ga_last_error Lib "getavatar.dll" () As Long
Private Declare Function ga_status_name Lib "getavatar.dll" (ByVal status As Long) As Long
Private Declare Function ga_version Lib "getavatar.dll" () As Long
Private Declare Function ga_client_set_timeout_ms Lib "getavatar.dll" (ByVal client As Long, ByVal ms As Long) As Long
Private Declare Function ga_client_set_deadline_ms Lib "getavatar.dll" (ByVal client As Long, ByVal ms As Long) As Long
Private Declare Function ga_client_set_max_retries Lib "getavatar.dll" (ByVal client As Long, ByVal retries As Long) As Long
Private Declare Function ga_client_set_rate_limit Lib "getavatar.dll" (ByVal client As Long, ByVal perSecond As Long) As Long
Private Declare Function ga_client_set_backoff_ms Lib "getavatar.dll" (ByVal client As Long, ByVal ms As Long) As Long
Private Declare Function ga_client_set_concurrency Lib "getavatar.dll" (ByVal client As Long, ByVal n As Long) As Long
Private Declare Function ga_get_avatars Lib "getavatar.dll" (ByVal client As Long, ByVal chatIds As Long, ByVal count As Long, ByVal results As Long) As Long
Private Declare Function ga_client_set_ca_file Lib "getavatar.dll" (ByVal client As Long, ByVal path As Long) As Long
Private Declare Function ga_client_set_trust Lib "getavatar.dll" (ByVal client As Long, ByVal trust As Long) As Long
Private Declare Function ga_client_set_cache_ttl Lib "getavatar.dll" (ByVal client As Long, ByVal seconds As Long) As Long
Private Declare Function ga_client_new_from_env Lib "getavatar.dll" () As Long
Private Declare Function ga_client_set_user_agent Lib "getavatar.dll" (ByVal client As Long, ByVal userAgent As Long) As Long
Private Declare Function ga_client_set_proxy Lib "getavatar.dll" (ByVal client As Long, ByVal url As Long) As Long
Private Declare Function ga_client_use_env_proxy Lib "getavatar.dll" (ByVal client As Long) As Long
Private Declare Function ga_download_avatar Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long, ByVal path As Long) As Long
Private Declare Function ga_download_avatar_bytes Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long) As Long
Private Declare Function ga_cancel_new Lib "getavatar.dll" () As Long
Private Declare Sub ga_cancel Lib "getavatar.dll" (ByVal cancel As Long)
Private Declare Sub ga_cancel_free Lib "getavatar.dll" (ByVal cancel As Long)
Private Declare Function ga_get_avatar_cancellable Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long, ByVal cancel As Long) As Long
Private Declare Function ga_get_avatars_cancellable Lib "getavatar.dll" (ByVal client As Long, ByVal chatIds As Long, ByVal count As Long, ByVal results As Long, ByVal cancel As Long) As Long
Private Declare Function ga_download_avatar_cancellable Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long, ByVal path As Long, ByVal cancel As Long) As Long
Private Declare Function ga_download_avatar_bytes_cancellable Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long, ByVal cancel As Long) As Long
Private Declare Function ga_client_set_idle_timeout_ms Lib "getavatar.dll" (ByVal client As Long, ByVal ms As Long) As Long
Private Declare Function ga_client_warm_up Lib "getavatar.dll" (ByVal client As Long) As Long

' The stored token (Windows Credential Manager); keep this group together.
Private Declare Function ga_client_new_from_credential Lib "getavatar.dll" (ByVal apiUrl As Long, ByVal idInstance As Long) As Long
Private Declare Function ga_credential_save Lib "getavatar.dll" (ByVal idInstance As Long, ByVal apiTokenInstance As Long) As Long
Private Declare Function ga_credential_prompt Lib "getavatar.dll" (ByVal idInstance As Long) As Long
Private Declare Function ga_credential_delete Lib "getavatar.dll" (ByVal idInstance As Long) As Long

Private Declare Function LoadLibraryW Lib "kernel32" (ByVal lpLibFileName As Long) As Long
Private Declare Function lstrlenA Lib "kernel32" (ByVal lpString As Long) As Long
Private Declare Sub RtlMoveMemory Lib "kernel32" (ByVal Destination As Long, ByVal Source As Long, ByVal Length As Long)
Private Declare Function MultiByteToWideChar Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpMultiByteStr As Long, ByVal cbMultiByte As Long, ByVal lpWideCharStr As Long, ByVal cchWideChar As Long) As Long
Private Declare Function WideCharToMultiByte Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpWideCharStr As Long, ByVal cchWideChar As Long, ByVal lpMultiByteStr As Long, ByVal cbMultiByte As Long, ByVal lpDefaultChar As Long, ByVal lpUsedDefaultChar As Long) As Long

' The registry, read only, to find OneDrive's local folders.
Private Declare Function RegOpenKeyExW Lib "advapi32" (ByVal hKey As Long, ByVal lpSubKey As Long, ByVal ulOptions As Long, ByVal samDesired As Long, ByVal phkResult As Long) As Long
Private Declare Function RegEnumKeyExW Lib "advapi32" (ByVal hKey As Long, ByVal dwIndex As Long, ByVal lpName As Long, ByVal lpcchName As Long, ByVal lpReserved As Long, ByVal lpClass As Long, ByVal lpcchClass As Long, ByVal lpftLastWriteTime As Long) As Long
Private Declare Function RegQueryValueExW Lib "advapi32" (ByVal hKey As Long, ByVal lpValueName As Long, ByVal lpReserved As Long, ByVal lpType As Long, ByVal lpData As Long, ByVal lpcbData As Long) As Long
Private Declare Function RegCloseKey Lib "advapi32" (ByVal hKey As Long) As Long

' Older hosts have no LongPtr: an Enum is a 32-bit Long, which is what pointers are there.
Private Enum LongPtr
    [_]
End Enum
#End If

Private Const CP_UTF8 As Long = 65001

' Whose roots TLS certificates are verified against (GaSetTrust).
Public Enum GaTrust
    GA_TRUST_SYSTEM = 0   ' the Windows certificate store (default), as MSXML2.XMLHTTP uses
    GA_TRUST_BUNDLED = 1  ' the web roots bundled in the DLL
End Enum
Private Const GA_OK As Long = 0
Private Const GA_ERR_INVALID_ARGUMENT As Long = 1
Private Const GA_ERR_INTERNAL As Long = 12
Private Const GA_ERR_IO As Long = 13
Private Const GA_ERR_CANCELLED As Long = 14
Private Const CANCELLED_TEXT As String = "#GA_ERR_CANCELLED: stopped with Esc"

' GaConnect's defaults. The deadline is each call's total budget in the DLL (every attempt,
' backoff, Retry-After and rate-limit wait included; an attempt is cut to what is left, a wait
' that would pass it is not started), so a cell never freezes Excel for more than about 10 s on
' any network: a black hole, a 429 storm, a slow proxy. Timeout and retries keep the DLL's
' defaults (30 s, 3) inside that budget unless GaSetTimeout / GaSetMaxRetries change them.
Private Const VBA_DEADLINE_MS As Long = 10000
Private Const VBA_CACHE_TTL_S As Long = 600
Private Const VBA_CONCURRENCY As Long = 4
' GaAvatarUrls and the macros call the DLL for this many ids at a time, then update the status
' bar and give Esc a chance.
Private Const CHUNK As Long = 16

' The workbook's settings: custom document properties named "getavatar.<setting>".
Private Const SETTING_PREFIX As String = "getavatar."
Private Const MSO_PROPERTY_TYPE_STRING As Long = 4

Private Const HKEY_CURRENT_USER As Long = &H80000001
Private Const KEY_READ As Long = &H20019
Private Const REG_SZ As Long = 1

' Offsets of the GaAvatar fields (include/getavatar.h): three int32_t, then two pointers.
' GaAvatarImage starts the same way, then data (pointer), size (size_t) and content_type (pointer).
#If Win64 Then
Private Const PTR_SIZE As Long = 8
Private Const OFFSET_URL_AVATAR As Long = 16
Private Const OFFSET_ERROR As Long = 24
Private Const OFFSET_DATA As Long = 32
Private Const OFFSET_SIZE As Long = 40
Private Const OFFSET_CONTENT_TYPE As Long = 48
#Else
Private Const PTR_SIZE As Long = 4
Private Const OFFSET_URL_AVATAR As Long = 12
Private Const OFFSET_ERROR As Long = 16
Private Const OFFSET_DATA As Long = 20
Private Const OFFSET_SIZE As Long = 24
Private Const OFFSET_CONTENT_TYPE As Long = 28
#End If
Private Const OFFSET_STATUS As Long = 0
Private Const OFFSET_HTTP_STATUS As Long = 4
Private Const OFFSET_AVAILABLE As Long = 8

Private mClient As LongPtr
Private mKey As String
Private mLibraryPath As String
Private mLoaded As Boolean

' One lookup's result, copied out of the DLL's memory.
Private Type GaResult
    Status As Long
    HttpStatus As Long
    Available As Long
    Url As String
    Message As String
End Type

' ------------------------------------------------------------------------------------------------
' Connecting
' ------------------------------------------------------------------------------------------------

' Where getavatar.dll is: a folder or the DLL's full path. Call before the first lookup.
Public Sub GaSetLibraryPath(ByVal folderOrFile As String)
    mLibraryPath = folderOrFile
End Sub

' Macro (Alt+F8): asks for apiUrl and idInstance, then for the token in Windows' own credential
' dialog (the token field is masked), stores it in Windows Credential Manager (generic credential
' "getavatar/<idInstance>"; never in the workbook), keeps apiUrl and idInstance in the workbook,
' and connects. Only when that dialog cannot be shown does it fall back to VBA's InputBox, which
' shows what is typed, with a warning (or use cmdkey /generic:getavatar/<idInstance>
' /user:<idInstance> /pass; see README.md).
Public Sub GaSaveToken(Optional ByVal apiUrl As String, Optional ByVal idInstance As String)
    Dim token As String, why As String, st As Long, i() As Byte, t() As Byte
    If Len(apiUrl) = 0 Then apiUrl = InputBox("apiUrl from your GREEN-API console:", "getavatar", _
                                             Setting("apiUrl", "https://3100.api.green-api.com"))
    If Len(apiUrl) = 0 Then Exit Sub
    If Len(idInstance) = 0 Then idInstance = InputBox("idInstance:", "getavatar", Setting("idInstance", ""))
    If Len(idInstance) = 0 Then Exit Sub
    why = EnsureLoaded()
    If Len(why) > 0 Then
        MsgBox why, vbExclamation, "getavatar"
        Exit Sub
    End If
    ' Windows' credential dialog: the token typed into a masked field, stored by the DLL.
    i = ToUtf8(idInstance)
    st = ga_credential_prompt(VarPtr(i(0)))
    If st = GA_ERR_CANCELLED Then Exit Sub
    ' OK on an empty field or a token that is not valid is GA_ERR_INVALID_ARGUMENT: said below.
    If st = GA_ERR_IO Then
        ' No dialog could be shown (LastError says why): VBA's InputBox, which cannot mask.
        token = InputBox("apiTokenInstance of " & idInstance & ":" & vbCrLf & vbCrLf & _
                         "WARNING: this box shows what you type (" & LastError() & "). " & _
                         "The token is kept in Windows Credential Manager, never in the workbook.", "getavatar")
        If Len(token) = 0 Then Exit Sub
        t = ToUtf8(token)
        token = ""
        st = ga_credential_save(VarPtr(i(0)), VarPtr(t(0)))
        Erase t
    End If
    If st <> GA_OK Then
        MsgBox ErrText(st, LastError()), vbExclamation, "getavatar"
        Exit Sub
    End If
    GaDisconnect
    MsgBox "Token stored as getavatar/" & idInstance & " in Windows Credential Manager." & vbCrLf & _
           GaConnect(apiUrl, idInstance), vbInformation, "getavatar"
End Sub

' Macro: deletes the stored token of an instance (the workbook's settings stay).
Public Sub GaDeleteToken(Optional ByVal idInstance As String)
    Dim why As String, st As Long, i() As Byte
    If Len(idInstance) = 0 Then idInstance = Setting("idInstance", "")
    why = EnsureLoaded()
    If Len(why) > 0 Then Err.Raise vbObjectError + 512 + GA_ERR_INVALID_ARGUMENT, "getavatar", why
    i = ToUtf8(idInstance)
    st = ga_credential_delete(VarPtr(i(0)))
    GaDisconnect
    If st <> GA_OK Then Err.Raise vbObjectError + 512 + st, "getavatar", ErrText(st, LastError())
End Sub

' Connects to an instance and keeps apiUrl and idInstance in the workbook, so that the first
' lookup after reopening reconnects by itself. Without a token (recommended) it is read from
' Windows Credential Manager (see GaSaveToken); a token given here is used but never kept.
' Keeps one client and re-creates it when the arguments change. Returns "connected", or
' "#GA_ERR_...: message".
Public Function GaConnect(ByVal apiUrl As String, ByVal idInstance As Variant, _
                          Optional ByVal apiTokenInstance As String = "") As String
    On Error GoTo Failed
    Dim key As String, id As String, c As LongPtr, why As String
    Dim u() As Byte, i() As Byte, t() As Byte
    id = CellText(idInstance)
    key = apiUrl & vbNullChar & id & vbNullChar & apiTokenInstance
    If mClient <> 0 And key = mKey Then
        GaConnect = "connected"
        Exit Function
    End If
    why = EnsureLoaded()
    If Len(why) > 0 Then
        GaConnect = ErrText(GA_ERR_INVALID_ARGUMENT, why)
        Exit Function
    End If
    u = ToUtf8(apiUrl): i = ToUtf8(id)
    If Len(apiTokenInstance) > 0 Then
        t = ToUtf8(apiTokenInstance)
        c = ga_client_new(VarPtr(u(0)), VarPtr(i(0)), VarPtr(t(0)))
    Else
        c = ga_client_new_from_credential(VarPtr(u(0)), VarPtr(i(0)))
    End If
    If c = 0 Then
        GaConnect = ErrText(GA_ERR_INVALID_ARGUMENT, LastError())
        Exit Function
    End If
    GaDisconnect
    mClient = c
    mKey = key
    KeepSetting "apiUrl", apiUrl
    KeepSetting "idInstance", id
    KeepSetting "deadlineMs", Setting("deadlineMs", CStr(VBA_DEADLINE_MS))
    why = ApplySettings()
    If Len(why) = 0 Then
        GaConnect = "connected"
    Else
        GaDisconnect
        GaConnect = why
    End If
    Exit Function
Failed:
    GaConnect = ErrText(GA_ERR_INTERNAL, Err.Description)
End Function

' Frees the workbook's client (the settings kept in the workbook stay).
Public Sub GaDisconnect()
    If mClient <> 0 Then
        ga_client_free mClient
        mClient = 0
        mKey = ""
    End If
End Sub

' ------------------------------------------------------------------------------------------------
' Worksheet functions (never raise)
' ------------------------------------------------------------------------------------------------

' The avatar link of a chat: "" when there is none, or "#GA_ERR_NAME: message" on failure.
Public Function GaAvatarUrl(ByVal chatId As Variant) As String
    On Error GoTo Failed
    Dim r As GaResult
    r = Lookup(chatId)
    GaAvatarUrl = CellValue(r)
    Exit Function
Failed:
    GaAvatarUrl = ErrText(GA_ERR_INTERNAL, Err.Description)
End Function

' Whether the chat's avatar is visible: TRUE, FALSE (hidden by privacy), "unknown" (the server did
' not say), or "#GA_ERR_NAME: message".
Public Function GaAvatarAvailable(ByVal chatId As Variant) As Variant
    On Error GoTo Failed
    Dim r As GaResult
    r = Lookup(chatId)
    If r.Status <> GA_OK Then
        GaAvatarAvailable = CellValue(r)
    ElseIf r.Available < 0 Then
        GaAvatarAvailable = "unknown"
    Else
        GaAvatarAvailable = (r.Available = 1)
    End If
    Exit Function
Failed:
    GaAvatarAvailable = ErrText(GA_ERR_INTERNAL, Err.Description)
End Function

' Many links at once: a range or an array in, a column out (one row per id, read row by row).
' Spills in Excel 365/2021; in Excel 2010-2019 enter it as an array formula (select the output
' column, type the formula, Ctrl+Shift+Enter): selected cells past the ids show "".
' Looked up in parallel (see GaSetConcurrency) within the rate limit, 16 ids per DLL call with
' progress in the status bar; Esc stops it between calls (the rest show GA_ERR_CANCELLED).
Public Function GaAvatarUrls(ByVal chatIds As Variant) As Variant
    On Error GoTo Failed
    Dim texts() As String, out() As Variant, n As Long, i As Long, why As String
    texts = IdList(chatIds)
    n = UBound(texts) + 1
    ReDim out(1 To n, 1 To 1)
    why = EnsureClient()
    If Len(why) > 0 Then
        For i = 1 To n: out(i, 1) = ErrText(GA_ERR_INVALID_ARGUMENT, why): Next
    Else
        LookupMany texts, out
    End If
    GaAvatarUrls = FitCaller(out)
    Exit Function
Failed:
    GaAvatarUrls = ErrText(GA_ERR_INTERNAL, Err.Description)
End Function

' Saves the chat's avatar picture to a file (written whole or not at all; an existing file is
' replaced). Returns the path, "" when the chat has no avatar (nothing is written), or
' "#GA_ERR_NAME: message".
Public Function GaDownloadAvatar(ByVal chatId As Variant, ByVal path As String) As String
    On Error GoTo Failed
    Dim why As String, id() As Byte, f() As Byte, r As GaResult
    why = EnsureClient()
    If Len(why) > 0 Then
        GaDownloadAvatar = ErrText(GA_ERR_INVALID_ARGUMENT, why)
        Exit Function
    End If
    id = ToUtf8(CellText(chatId)): f = ToUtf8(path)
    r = ReadResult(ga_download_avatar(mClient, VarPtr(id(0)), VarPtr(f(0))))
    If r.Status <> GA_OK Then
        GaDownloadAvatar = CellValue(r)
    ElseIf Len(r.Url) > 0 Then
        GaDownloadAvatar = path
    End If
    Exit Function
Failed:
    GaDownloadAvatar = ErrText(GA_ERR_INTERNAL, Err.Description)
End Function

' The DLL's version, e.g. "0.1.0".
Public Function GaVersion() As String
    Dim why As String
    why = EnsureLoaded()
    If Len(why) > 0 Then
        GaVersion = ErrText(GA_ERR_INVALID_ARGUMENT, why)
    Else
        GaVersion = FromUtf8(ga_version())
    End If
End Function

' ------------------------------------------------------------------------------------------------
' Settings: applied now and kept in the workbook (reapplied on reconnect). Each returns "" or the
' error text, and keeps the old value on error.
' ------------------------------------------------------------------------------------------------

' How long answers are kept (seconds, 0 to 86400; 0 turns the cache off; default 600).
Public Function GaSetCacheTtl(ByVal seconds As Long) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_cache_ttl(mClient, seconds), "cacheTtl", CStr(seconds))
    GaSetCacheTtl = e
End Function

' Total time budget of each lookup (ms, 0 to 3600000; 0 = none; GaConnect sets 10000): every
' attempt and every wait between them counts; a lookup that would pass it returns
' "#GA_ERR_TIMEOUT: deadline of ... reached" saying what used it. Each id of GaAvatarUrls has
' its own budget.
Public Function GaSetDeadline(ByVal ms As Long) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_deadline_ms(mClient, ms), "deadlineMs", CStr(ms))
    GaSetDeadline = e
End Function

' Timeout of each attempt (ms, 1 to 600000; default 30000, cut to what is left of the deadline).
Public Function GaSetTimeout(ByVal ms As Long) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_timeout_ms(mClient, ms), "timeoutMs", CStr(ms))
    GaSetTimeout = e
End Function

' Retries of transient failures (0 to 10; default 3, within the deadline).
Public Function GaSetMaxRetries(ByVal retries As Long) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_max_retries(mClient, retries), "maxRetries", CStr(retries))
    GaSetMaxRetries = e
End Function

' How many lookups GaAvatarUrls runs at once (1 to 64; default 4).
Public Function GaSetConcurrency(ByVal n As Long) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_concurrency(mClient, n), "concurrency", CStr(n))
    GaSetConcurrency = e
End Function

'' Also trusts the certificates in a CA file, PEM or DER (.cer, .crt, .pem), e.g. a corporate proxy's
' root exported from certmgr.msc, in addition to the Windows certificate store (or the bundled
' roots, see GaSetTrust). Certificates are always verified.
Public Function GaSetCaFile(ByVal pemPath As String) As String
    Dim b() As Byte
    b = ToUtf8(pemPath)
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_ca_file(mClient, VarPtr(b(0))), "caFile", pemPath)
    GaSetCaFile = e
End Function

' Whose roots TLS certificates are verified against: GA_TRUST_SYSTEM (0, the default: the Windows
' certificate store, where companies install their proxy's root) or GA_TRUST_BUNDLED (1).
Public Function GaSetTrust(ByVal trust As GaTrust) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_trust(mClient, trust), "trust", CStr(trust))
    GaSetTrust = e
End Function

' Sets the User-Agent the DLL sends (printable ASCII, at most 256 characters).
Public Function GaSetUserAgent(ByVal userAgent As String) As String
    Dim b() As Byte
    b = ToUtf8(userAgent)
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_user_agent(mClient, VarPtr(b(0))), "userAgent", userAgent)
    GaSetUserAgent = e
End Function

' Chooses the proxy for every request: "system" (the default: Windows' Internet Options, as
' Internet Explorer and MSXML2.XMLHTTP use them, PAC script included), "direct" (or "") for none,
' or "http://host:port", "socks5://..." or "socks5h://...". A proxy URL with a user name or
' password is used but not kept in the workbook (it would travel with the file): after opening,
' the system's proxy is used until it is set again, e.g. in Workbook_Open.
Public Function GaSetProxy(ByVal proxyUrl As String) As String
    Dim b() As Byte, keep As String
    b = ToUtf8(proxyUrl)
    If Len(proxyUrl) = 0 Then
        keep = "direct"
    ElseIf InStr(proxyUrl, "@") = 0 Then
        keep = proxyUrl
    End If
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_proxy(mClient, VarPtr(b(0))), "proxy", keep)
    GaSetProxy = e
End Function

' Pins the proxy in the environment variables HTTPS_PROXY (or ALL_PROXY), except for the hosts in
' NO_PROXY, ignoring the Internet Options (the default "system" reads these variables first).
Public Function GaUseEnvProxy() As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_use_env_proxy(mClient), "proxy", "env")
    GaUseEnvProxy = e
End Function

' ------------------------------------------------------------------------------------------------
' Macros
' ------------------------------------------------------------------------------------------------

' For macros: the avatar link ("" when none); raises a VBA error on failure with
' Err.Number = vbObjectError + 512 + status, Err.Source = "getavatar", Err.Description = message.
Public Function GaGetAvatar(ByVal chatId As Variant) As String
    Dim r As GaResult
    r = Lookup(chatId)
    If r.Status <> GA_OK Then Err.Raise vbObjectError + 512 + r.Status, "getavatar", Mid$(CellValue(r), 2)
    GaGetAvatar = r.Url
End Function

' For macros: the avatar picture's bytes (a Byte array), or Empty when the chat has none;
' contentType receives e.g. "image/jpeg". Raises a VBA error on failure, like GaGetAvatar.
Public Function GaAvatarBytes(ByVal chatId As Variant, Optional ByRef contentType As String) As Variant
    Dim why As String, id() As Byte, p As LongPtr, n As Long, data As LongPtr, b() As Byte, r As GaResult
    why = EnsureClient()
    If Len(why) > 0 Then Err.Raise vbObjectError + 512 + GA_ERR_INVALID_ARGUMENT, "getavatar", why
    id = ToUtf8(CellText(chatId))
    p = ga_download_avatar_bytes(mClient, VarPtr(id(0)))
    If p <> 0 Then
        data = PeekPtr(p + OFFSET_DATA)
        n = CLng(PeekPtr(p + OFFSET_SIZE))           ' at most 16 MiB
        contentType = FromUtf8(PeekPtr(p + OFFSET_CONTENT_TYPE))
        If data <> 0 And n > 0 Then
            ReDim b(0 To n - 1)
            RtlMoveMemory VarPtr(b(0)), data, n
        End If
    End If
    r = ReadResult(p)                                ' frees p: the bytes were copied above
    If r.Status <> GA_OK Then Err.Raise vbObjectError + 512 + r.Status, "getavatar", Mid$(CellValue(r), 2)
    If data = 0 Then GaAvatarBytes = Empty Else GaAvatarBytes = b
End Function

' Puts the chat's avatar picture over a cell, fitted inside it with its proportions kept, named
' "GaAvatar_<cell>" so that running it again replaces it (and removes it when the chat no longer
' has an avatar). Raises a VBA error on failure.
Public Sub GaInsertAvatar(ByVal chatId As Variant, ByVal target As Object)
    Dim bytes As Variant, ct As String, ext As String, path As String, f As Integer
    Dim shp As Object, shapeName As String, b() As Byte
    bytes = GaAvatarBytes(chatId, ct)
    shapeName = "GaAvatar_" & target.Address(False, False)
    On Error Resume Next
    target.Worksheet.Shapes(shapeName).Delete
    On Error GoTo 0
    If IsEmpty(bytes) Then Exit Sub                 ' no avatar (or hidden): nothing to show
    Select Case ct
        Case "image/png": ext = ".png"
        Case "image/gif": ext = ".gif"
        Case "image/bmp": ext = ".bmp"
        Case "image/webp": ext = ".webp"
        Case Else: ext = ".jpg"
    End Select
    path = Environ$("TEMP") & "\getavatar_" & CellText(chatId) & ext
    b = bytes                                       ' Put needs a Byte array, not a Variant
    If Len(Dir$(path)) > 0 Then Kill path
    f = FreeFile
    Open path For Binary Access Write As #f
    Put #f, 1, b
    Close #f
    ' AddPicture(file, LinkToFile:=msoFalse, SaveWithDocument:=msoTrue, left, top, width, height);
    ' -1 keeps the picture's own size, scaled below.
    Set shp = target.Worksheet.Shapes.AddPicture(path, 0, -1, target.Left, target.Top, -1, -1)
    Kill path
    shp.LockAspectRatio = -1
    If shp.Width / shp.Height > target.Width / target.Height Then
        shp.Width = target.Width
    Else
        shp.Height = target.Height
    End If
    shp.Left = target.Left + (target.Width - shp.Width) / 2
    shp.Top = target.Top + (target.Height - shp.Height) / 2
    shp.Name = shapeName
End Sub

' Macro: each chat's avatar over the cell to the right of its id; a failure's text is written in
' that cell. Progress in the status bar; Esc stops it between chats.
'   GaInsertAvatars Range("A2:A200")
Public Sub GaInsertAvatars(ByVal chatIds As Object)
    Dim c As Object, k As Long, n As Long
    n = chatIds.Cells.Count
    On Error GoTo Stopped
    Application.EnableCancelKey = 2                  ' xlErrorHandler: Esc raises error 18 here
    For Each c In chatIds.Cells
        k = k + 1
        Progress "pictures", k, n, True
        c.Offset(0, 1).Value = TryInsert(c)
    Next
Stopped:
    Finish Err.Number
End Sub

' Macro: saves each chat's avatar as <folder>\<chat id>.jpg and writes the path (or "", or the
' error text) in the cell to the right. Progress in the status bar; Esc stops it between chats.
'   GaDownloadAvatars Range("A2:A200"), "C:\Avatars"
Public Sub GaDownloadAvatars(ByVal chatIds As Object, ByVal folder As String)
    Dim c As Object, k As Long, n As Long
    n = chatIds.Cells.Count
    On Error GoTo Stopped
    Application.EnableCancelKey = 2
    For Each c In chatIds.Cells
        k = k + 1
        Progress "downloads", k, n, True
        c.Offset(0, 1).Value = GaDownloadAvatar(c.Value, folder & "\" & CellText(c.Value) & ".jpg")
    Next
Stopped:
    Finish Err.Number
End Sub

' ------------------------------------------------------------------------------------------------
' Internals
' ------------------------------------------------------------------------------------------------

' The text a failure shows in a cell: "#GA_ERR_NAME: message", with the settings the DLL names
' by their C function named by this module's procedures.
Private Function ErrText(ByVal status As Long, ByVal message As String) As String
    ErrText = "#" & StatusName(status) & ": " & VbaNames(message)
End Function

' The DLL's names of settings replaced by this module's (the table in src/settings.rs).
Private Function VbaNames(ByVal message As String) As String
    If InStr(message, "ga_client_set_") > 0 Then
        message = Replace(message, "ga_client_set_ca_file", "GaSetCaFile")
        message = Replace(message, "ga_client_set_trust", "GaSetTrust")
        message = Replace(message, "ga_client_set_proxy", "GaSetProxy")
        message = Replace(message, "ga_client_set_deadline_ms", "GaSetDeadline")
        message = Replace(message, "ga_client_set_timeout_ms", "GaSetTimeout")
    End If
    VbaNames = message
End Function

' What a cell shows for a result: the link, "" or the error text.
Private Function CellValue(ByRef r As GaResult) As String
    If r.Status = GA_OK Then CellValue = r.Url Else CellValue = ErrText(r.Status, r.Message)
End Function

' Copies a GaAvatar (or GaAvatarImage) out of the DLL's memory and frees it. NULL (no memory).
Private Function ReadResult(ByVal p As LongPtr) As GaResult
    Dim r As GaResult
    If p = 0 Then
        r.Status = GA_ERR_INTERNAL
        r.Available = -1
        r.Message = "out of memory"
    Else
        r.Status = PeekLong(p + OFFSET_STATUS)
        r.HttpStatus = PeekLong(p + OFFSET_HTTP_STATUS)
        r.Available = PeekLong(p + OFFSET_AVAILABLE)
        r.Url = FromUtf8(PeekPtr(p + OFFSET_URL_AVATAR))
        r.Message = FromUtf8(PeekPtr(p + OFFSET_ERROR))
        ga_free p                                  ' everything was copied above
    End If
    ReadResult = r
End Function

' A failed result that never reached the DLL.
Private Function Failure(ByVal status As Long, ByVal message As String) As GaResult
    Dim r As GaResult
    r.Status = status
    r.Available = -1
    r.Message = message
    Failure = r
End Function

Private Function Lookup(ByVal chatId As Variant) As GaResult
    Dim why As String, id() As Byte
    why = EnsureClient()
    If Len(why) > 0 Then
        Lookup = Failure(GA_ERR_INVALID_ARGUMENT, why)
        Exit Function
    End If
    id = ToUtf8(CellText(chatId))
    Lookup = ReadResult(ga_get_avatar(mClient, VarPtr(id(0))))
End Function

' Looks up texts(0..n-1) into out(1..n, 1), CHUNK ids per DLL call; between calls the status bar
' shows progress and Esc stops it (the rest become CANCELLED_TEXT).
Private Sub LookupMany(ByRef texts() As String, ByRef out() As Variant)
    Dim n As Long, first As Long, i As Long, m As Long
    n = UBound(texts) + 1
    On Error GoTo Stopped
    If n > CHUNK Then Application.EnableCancelKey = 2
    For first = 0 To n - 1 Step CHUNK
        If n > CHUNK Then Progress "links", first, n
        m = n - first
        If m > CHUNK Then m = CHUNK
        LookupChunk texts, first, m, out
    Next
    If n > CHUNK Then Finish 0
    Exit Sub
Stopped:
    For i = first To n - 1
        If IsEmpty(out(i + 1, 1)) Then out(i + 1, 1) = CANCELLED_TEXT
    Next
    Finish Err.Number
End Sub

' One ga_get_avatars call for texts(first .. first+m-1): all ids NUL-terminated in one UTF-8
' buffer that stays alive while the DLL reads it; ptrs(k) points at id k inside it.
Private Sub LookupChunk(ByRef texts() As String, ByVal first As Long, ByVal m As Long, ByRef out() As Variant)
    Dim parts() As Variant, offs() As Long, buf() As Byte, b() As Byte, total As Long
    Dim ptrs() As LongPtr, res() As LongPtr, st As Long, k As Long, r As GaResult
    ReDim parts(0 To m - 1): ReDim offs(0 To m - 1): ReDim ptrs(0 To m - 1): ReDim res(0 To m - 1)
    For k = 0 To m - 1
        parts(k) = ToUtf8(texts(first + k))
        offs(k) = total
        total = total + UBound(parts(k)) + 1
    Next
    ReDim buf(0 To total - 1)
    For k = 0 To m - 1
        b = parts(k)
        RtlMoveMemory VarPtr(buf(offs(k))), VarPtr(b(0)), UBound(b) + 1
        ptrs(k) = VarPtr(buf(0)) + offs(k)
    Next
    st = ga_get_avatars(mClient, VarPtr(ptrs(0)), m, VarPtr(res(0)))
    For k = 0 To m - 1
        If res(k) = 0 Then
            If st = GA_OK Then st = GA_ERR_INTERNAL
            out(first + k + 1, 1) = ErrText(st, LastError())
        Else
            r = ReadResult(res(k))
            out(first + k + 1, 1) = CellValue(r)
        End If
    Next
End Sub

' The ids of a range, an array or one value, row by row, as text.
Private Function IdList(ByVal chatIds As Variant) As String()
    Dim vals As Variant, texts() As String, r As Long, c As Long, i As Long, k As Long
    If IsObject(chatIds) Then vals = chatIds.Value Else vals = chatIds
    If Not IsArray(vals) Then
        ReDim texts(0 To 0)
        texts(0) = CellText(vals)
    ElseIf ArrayDims(vals) = 2 Then
        ReDim texts(0 To (UBound(vals, 1) - LBound(vals, 1) + 1) * (UBound(vals, 2) - LBound(vals, 2) + 1) - 1)
        For r = LBound(vals, 1) To UBound(vals, 1)
            For c = LBound(vals, 2) To UBound(vals, 2)
                texts(k) = CellText(vals(r, c)): k = k + 1
            Next
        Next
    Else
        ReDim texts(0 To UBound(vals) - LBound(vals))
        For i = LBound(vals) To UBound(vals)
            texts(k) = CellText(vals(i)): k = k + 1
        Next
    End If
    IdList = texts
End Function

' A legacy array formula (Ctrl+Shift+Enter) fills exactly the selected cells: rows past the
' results show "" instead of #N/A. Spilled formulas and macros get the column as it is.
Private Function FitCaller(ByRef out() As Variant) As Variant
    Dim rows As Long, cols As Long, i As Long, j As Long, fitted() As Variant
    FitCaller = out
    On Error GoTo Done                               ' not called from a cell
    If TypeName(Application.Caller) <> "Range" Then Exit Function
    If Not Application.Caller.HasArray Then Exit Function
    rows = Application.Caller.Rows.Count: cols = Application.Caller.Columns.Count
    If rows <= UBound(out, 1) And cols = 1 Then Exit Function
    If rows < UBound(out, 1) Then rows = UBound(out, 1)
    ReDim fitted(1 To rows, 1 To cols)
    For i = 1 To rows
        For j = 1 To cols
            If i <= UBound(out, 1) And j = 1 Then fitted(i, j) = out(i, 1) Else fitted(i, j) = ""
        Next
    Next
    FitCaller = fitted
Done:
End Function

' For GaInsertAvatars: "" after inserting, or the error text.
Private Function TryInsert(ByVal c As Object) As String
    On Error GoTo Failed
    GaInsertAvatar c.Value, c.Offset(0, 1)
    Exit Function
Failed:
    If Err.Number = 18 Then Err.Raise 18             ' Esc: let the loop stop
    TryInsert = "#" & Err.Description
End Function

' The status bar during a long macro.
' (macros also let Excel repaint; a worksheet function must not).
Private Sub Progress(ByVal what As String, ByVal done As Long, ByVal total As Long, Optional ByVal fromMacro As Boolean)
    Application.StatusBar = "getavatar: " & what & " " & done & " of " & total & " (Esc stops)"
    If fromMacro Then DoEvents
End Sub

' Ends a long macro: the status bar back to Excel's, and a note when Esc stopped it.
Private Sub Finish(ByVal errNumber As Long)
    Application.StatusBar = False
    Application.EnableCancelKey = 1                  ' xlInterrupt
    If errNumber = 18 Then
        Application.StatusBar = "getavatar: stopped with Esc"
    ElseIf errNumber <> 0 Then
        Err.Raise errNumber
    End If
End Sub

' A cell's value as text: numbers typed into cells come as Doubles (1E+07): write them out in full.
Private Function CellText(ByVal v As Variant) As String
    If IsObject(v) Then v = v.Value
    Select Case VarType(v)
        Case vbDouble, vbSingle, vbCurrency, vbDecimal, vbLong, vbInteger
            CellText = Format$(v, "0")
        Case vbString
            CellText = v
        Case vbEmpty
            CellText = ""
        Case Else
            CellText = CStr(v)
    End Select
End Function

' True when there is a client (reconnecting if needed); else failText gets the error text.
Private Function Connected(ByRef failText As String) As Boolean
    Dim why As String
    why = EnsureClient()
    If Len(why) > 0 Then failText = ErrText(GA_ERR_INVALID_ARGUMENT, why) Else Connected = True
End Function

' After a setter: keeps the value in the workbook on success; "" or the error text.
Private Function Kept(ByVal status As Long, ByVal name As String, ByVal value As String) As String
    If status = GA_OK Then KeepSetting name, value Else Kept = ErrText(status, LastError())
End Function

' The client, connecting on first use: from the workbook's settings and the stored token (so the
' first lookup after opening reconnects by itself), else from GA_API_URL, GA_ID_INSTANCE and
' GA_API_TOKEN_INSTANCE. "" or why not.
Private Function EnsureClient() As String
    If mClient <> 0 Then Exit Function
    Dim u As String, i As String, res As String
    u = Setting("apiUrl", ""): i = Setting("idInstance", "")
    If Len(u) > 0 And Len(i) > 0 Then
        res = GaConnect(u, i)
    ElseIf Len(Environ$("GA_API_URL")) > 0 Then
        res = ConnectFromEnv()
    Else
        EnsureClient = "not connected: run the macro GaSaveToken once (Alt+F8), or call GaConnect(apiUrl, idInstance)"
        Exit Function
    End If
    If res <> "connected" Then EnsureClient = Mid$(res, InStr(res, ": ") + 2)
End Function

' A client from GA_API_URL, GA_ID_INSTANCE and GA_API_TOKEN_INSTANCE, which the DLL reads itself
' (ga_client_new_from_env), with GaConnect's defaults. "connected" or the error text.
Private Function ConnectFromEnv() As String
    Dim why As String, c As LongPtr
    why = EnsureLoaded()
    If Len(why) > 0 Then
        ConnectFromEnv = ErrText(GA_ERR_INVALID_ARGUMENT, why)
        Exit Function
    End If
    c = ga_client_new_from_env()
    If c = 0 Then
        ConnectFromEnv = ErrText(GA_ERR_INVALID_ARGUMENT, LastError())
        Exit Function
    End If
    GaDisconnect
    mClient = c
    mKey = "environment"
    why = ApplySettings()
    If Len(why) = 0 Then
        ConnectFromEnv = "connected"
    Else
        GaDisconnect
        ConnectFromEnv = why
    End If
End Function

' GaConnect's defaults, then the settings kept in the workbook, on the new client. "" or the
' error text.
Private Function ApplySettings() As String
    Dim st As Long, proxy As String, b() As Byte
    st = ga_client_set_deadline_ms(mClient, CLng(Val(Setting("deadlineMs", CStr(VBA_DEADLINE_MS)))))
    If st = GA_OK And Len(Setting("timeoutMs", "")) > 0 Then st = ga_client_set_timeout_ms(mClient, CLng(Val(Setting("timeoutMs", ""))))
    If st = GA_OK And Len(Setting("maxRetries", "")) > 0 Then st = ga_client_set_max_retries(mClient, CLng(Val(Setting("maxRetries", ""))))
    If st = GA_OK Then st = ga_client_set_cache_ttl(mClient, CLng(Val(Setting("cacheTtl", CStr(VBA_CACHE_TTL_S)))))
    If st = GA_OK Then st = ga_client_set_concurrency(mClient, CLng(Val(Setting("concurrency", CStr(VBA_CONCURRENCY)))))
    proxy = Setting("proxy", "")
    If st = GA_OK And proxy = "env" Then
        st = ga_client_use_env_proxy(mClient)
    ElseIf st = GA_OK And Len(proxy) > 0 Then
        b = ToUtf8(proxy): st = ga_client_set_proxy(mClient, VarPtr(b(0)))
    End If
    If st = GA_OK And Len(Setting("trust", "")) > 0 Then st = ga_client_set_trust(mClient, CLng(Val(Setting("trust", "0"))))
    If st = GA_OK And Len(Setting("caFile", "")) > 0 Then
        b = ToUtf8(Setting("caFile", "")): st = ga_client_set_ca_file(mClient, VarPtr(b(0)))
    End If
    If st = GA_OK And Len(Setting("userAgent", "")) > 0 Then
        b = ToUtf8(Setting("userAgent", "")): st = ga_client_set_user_agent(mClient, VarPtr(b(0)))
    End If
    If st <> GA_OK Then ApplySettings = ErrText(st, "a setting kept in the workbook: " & LastError())
End Function

' A setting kept in the workbook (custom document property "getavatar.<name>"), or the default.
Private Function Setting(ByVal name As String, ByVal fallback As String) As String
    Setting = fallback
    On Error Resume Next
    Setting = CStr(ThisWorkbook.CustomDocumentProperties(SETTING_PREFIX & name).Value)
End Function

' Keeps a setting in the workbook ("" removes it). Written only when it changes, so reconnecting
' does not mark the workbook as changed. A worksheet function may not be allowed to: then the
' value is still used now, and kept by the next macro that sets it.
Private Sub KeepSetting(ByVal name As String, ByVal value As String)
    Dim props As Object
    On Error Resume Next
    If Setting(name, vbNullChar) = value Then Exit Sub
    Set props = ThisWorkbook.CustomDocumentProperties
    props(SETTING_PREFIX & name).Delete
    Err.Clear
    If Len(value) > 0 Then props.Add SETTING_PREFIX & name, False, MSO_PROPERTY_TYPE_STRING, value
End Sub

' Loads getavatar.dll once, by full path, so the Declares above resolve. "" on success, else a
' message listing every place tried.
Private Function EnsureLoaded() As String
    If mLoaded Then Exit Function
    Dim folders As Collection, f As Variant, c As Variant, tried As String, base As String
    #If Win64 Then
        Const ARCH As String = "x64"
    #Else
        Const ARCH As String = "x86"
    #End If
    Set folders = New Collection
    If Len(mLibraryPath) > 0 Then
        If LCase$(Right$(mLibraryPath, 4)) = ".dll" Then
            tried = TryLoad(mLibraryPath, ARCH)
            If mLoaded Then Exit Function
        Else
            folders.Add mLibraryPath
        End If
    Else
        base = ThisWorkbook.Path
        If LCase$(Left$(base, 8)) = "https://" Or LCase$(Left$(base, 7)) = "http://" Then
            base = LocalFolderOf(base)                ' OneDrive / SharePoint: the synced folder
            If Len(base) = 0 Then tried = " " & ThisWorkbook.Path & " (a web address with no synced local folder);"
        End If
        If Len(base) > 0 Then folders.Add base
        If Len(Environ$("LOCALAPPDATA")) > 0 Then folders.Add Environ$("LOCALAPPDATA") & "\getavatar"
    End If
    For Each f In folders
        For Each c In Array(f & "\" & ARCH & "\getavatar.dll", f & "\getavatar.dll")
            tried = tried & TryLoad(CStr(c), ARCH)
            If mLoaded Then Exit Function
        Next
    Next
    EnsureLoaded = "getavatar.dll not found or not loadable; tried:" & tried & _
                   " put the x64 and x86 folders next to the workbook or in %LOCALAPPDATA%\getavatar," & _
                   " or call GaSetLibraryPath"
End Function

' Loads one candidate: "" when loaded, else " path (why);".
Private Function TryLoad(ByVal path As String, ByVal arch As String) As String
    If Len(Dir$(path)) = 0 Then
        TryLoad = " " & path & " (not found);"
    ElseIf LoadLibraryW(StrPtr(path)) <> 0 Then
        mLoaded = True
    Else
        TryLoad = " " & path & " (could not be loaded: is it the " & arch & " build?);"
    End If
End Function

' The local folder OneDrive syncs a workbook's https:// folder to, or "". Read from OneDrive's
' registry keys (each synced library's UrlNamespace and MountPoint; each account's UserUrl or cid
' and UserFolder), then the OneDriveCommercial / OneDriveConsumer / OneDrive variables.
Private Function LocalFolderOf(ByVal url As String) As String
    Dim roots As Collection, r As Variant, prefix As String, folder As String, p As Long
    Set roots = New Collection
    For Each r In RegSubkeys("Software\SyncEngines\Providers\OneDrive")
        roots.Add Array(RegText(CStr(r), "UrlNamespace"), RegText(CStr(r), "MountPoint"))
    Next
    For Each r In RegSubkeys("Software\Microsoft\OneDrive\Accounts")
        If Len(RegText(CStr(r), "UserUrl")) > 0 Then roots.Add Array(RegText(CStr(r), "UserUrl") & "/Documents", RegText(CStr(r), "UserFolder"))
        If Len(RegText(CStr(r), "cid")) > 0 Then roots.Add Array("https://d.docs.live.net/" & RegText(CStr(r), "cid"), RegText(CStr(r), "UserFolder"))
    Next
    p = InStr(1, url, "-my.sharepoint.com/personal/", vbTextCompare)
    If p > 0 Then
        p = InStr(p, url, "/Documents", vbTextCompare)
        If p > 0 Then roots.Add Array(Left$(url, p + 9), Environ$("OneDriveCommercial"))
    ElseIf LCase$(Left$(url, 24)) = "https://d.docs.live.net/" Then
        p = InStr(25, url & "/", "/")
        roots.Add Array(Left$(url, p - 1), Environ$("OneDriveConsumer"))
        roots.Add Array(Left$(url, p - 1), Environ$("OneDrive"))
    End If
    For Each r In roots
        prefix = r(0): folder = r(1)
        If Right$(prefix, 1) = "/" Then prefix = Left$(prefix, Len(prefix) - 1)
        If Right$(folder, 1) = "\" Then folder = Left$(folder, Len(folder) - 1)
        If Len(prefix) > 0 And Len(folder) > 0 And StrComp(Left$(url & "/", Len(prefix) + 1), prefix & "/", vbTextCompare) = 0 Then
            folder = folder & Replace(UrlDecode(Mid$(url, Len(prefix) + 1)), "/", "\")
            If Len(Dir$(folder, vbDirectory)) > 0 Then
                LocalFolderOf = folder
                Exit Function
            End If
        End If
    Next
End Function

' "%20" and other %XX escapes of an address path back to text (UTF-8).
Private Function UrlDecode(ByVal s As String) As String
    Dim b() As Byte, n As Long, i As Long, out() As Byte, w As Long, t As String
    If InStr(s, "%") = 0 Then UrlDecode = s: Exit Function
    b = ToUtf8(s)
    ReDim out(0 To UBound(b))
    For i = 0 To UBound(b) - 1
        If b(i) = 37 And i + 2 < UBound(b) Then
            If IsHex(b(i + 1)) And IsHex(b(i + 2)) Then
                out(n) = CByte(Val("&H" & Chr$(b(i + 1)) & Chr$(b(i + 2)))): n = n + 1: i = i + 2
                GoTo NextByte
            End If
        End If
        out(n) = b(i): n = n + 1
NextByte:
    Next
    If n = 0 Then Exit Function
    w = MultiByteToWideChar(CP_UTF8, 0, VarPtr(out(0)), n, 0, 0)
    t = String$(w, vbNullChar)
    MultiByteToWideChar CP_UTF8, 0, VarPtr(out(0)), n, StrPtr(t), w
    UrlDecode = t
End Function

Private Function IsHex(ByVal c As Byte) As Boolean
    IsHex = (c >= 48 And c <= 57) Or (c >= 65 And c <= 70) Or (c >= 97 And c <= 102)
End Function

' The full names of a registry key's subkeys under HKEY_CURRENT_USER (none when it is absent).
Private Function RegSubkeys(ByVal path As String) As Collection
    Dim h As LongPtr, i As Long, n As Long, buf As String
    Set RegSubkeys = New Collection
    If RegOpenKeyExW(HKEY_CURRENT_USER, StrPtr(path), 0, KEY_READ, VarPtr(h)) <> 0 Then Exit Function
    Do
        buf = String$(256, vbNullChar): n = 256
        If RegEnumKeyExW(h, i, StrPtr(buf), VarPtr(n), 0, 0, 0, 0) <> 0 Then Exit Do
        RegSubkeys.Add path & "\" & Left$(buf, n)
        i = i + 1
    Loop
    RegCloseKey h
End Function

' A text value under HKEY_CURRENT_USER, or "".
Private Function RegText(ByVal path As String, ByVal valueName As String) As String
    Dim h As LongPtr, kind As Long, size As Long, buf As String
    If RegOpenKeyExW(HKEY_CURRENT_USER, StrPtr(path), 0, KEY_READ, VarPtr(h)) <> 0 Then Exit Function
    buf = String$(1024, vbNullChar): size = 2048
    If RegQueryValueExW(h, StrPtr(valueName), 0, VarPtr(kind), StrPtr(buf), VarPtr(size)) = 0 Then
        If kind = REG_SZ Then RegText = Left$(buf, InStr(buf & vbNullChar, vbNullChar) - 1)
    End If
    RegCloseKey h
End Function

Private Function StatusName(ByVal status As Long) As String
    StatusName = FromUtf8(ga_status_name(status))
End Function

' This thread's last error from the DLL.
Private Function LastError() As String
    LastError = FromUtf8(ga_last_error())
End Function

' UTF-16 (VBA) to NUL-terminated UTF-8 bytes.
Private Function ToUtf8(ByVal s As String) As Byte()
    Dim b() As Byte, n As Long
    n = 0
    If Len(s) > 0 Then n = WideCharToMultiByte(CP_UTF8, 0, StrPtr(s), Len(s), 0, 0, 0, 0)
    ReDim b(0 To n)
    If n > 0 Then WideCharToMultiByte CP_UTF8, 0, StrPtr(s), Len(s), VarPtr(b(0)), n, 0, 0
    b(n) = 0
    ToUtf8 = b
End Function

' Copies a NUL-terminated UTF-8 string out of the DLL (lstrlenA + RtlMoveMemory) into a VBA String.
Private Function FromUtf8(ByVal p As LongPtr) As String
    Dim n As Long, w As Long, b() As Byte, s As String
    If p = 0 Then Exit Function
    n = lstrlenA(p)
    If n = 0 Then Exit Function
    ReDim b(0 To n - 1)
    RtlMoveMemory VarPtr(b(0)), p, n
    w = MultiByteToWideChar(CP_UTF8, 0, VarPtr(b(0)), n, 0, 0)
    s = String$(w, vbNullChar)
    MultiByteToWideChar CP_UTF8, 0, VarPtr(b(0)), n, StrPtr(s), w
    FromUtf8 = s
End Function

' The number of dimensions of an array.
Private Function ArrayDims(ByRef v As Variant) As Long
    Dim d As Long, x As Long
    On Error GoTo Done
    Do
        x = UBound(v, d + 1)
        d = d + 1
    Loop
Done:
    ArrayDims = d
End Function

Private Function PeekLong(ByVal p As LongPtr) As Long
    Dim v As Long
    RtlMoveMemory VarPtr(v), p, 4
    PeekLong = v
End Function

Private Function PeekPtr(ByVal p As LongPtr) As LongPtr
    Dim v As LongPtr
    RtlMoveMemory VarPtr(v), p, PTR_SIZE
    PeekPtr = v
End Function
