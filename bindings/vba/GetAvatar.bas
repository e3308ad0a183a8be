Attribute VB_Name = "GetAvatar"
' ==================================================================================================
' getavatar for Excel: GREEN-API getAvatar (MAX, v3) as worksheet functions and macros.
'
' Install: put getavatar.dll next to the workbook (or in x64\ / x86\ beside it, matching your Office),
' then in the VBA editor: File > Import File... > GetAvatar.bas. Nothing else to register.
'
' In cells:
'   =GaConnect("https://3100.api.green-api.com"; "3100000001"; "d75b3a66...")  -> "connected"
'   =GaAvatarUrl(A2)        -> the link, "" when none, or "#GA_ERR_...: message" (never an Excel error)
'   =GaAvatarAvailable(A2)  -> TRUE, FALSE, "unknown", or "#GA_ERR_...: message"
'   =GaAvatarUrls(A2:A500)  -> one link per id, spilled down a column, looked up 4 at a time
'   =GaDownloadAvatar(A2; "C:\Avatars\" & A2 & ".jpg")  -> the path written, "" when none, or "#GA_ERR_..."
' In macros:
'   GaConnect Range("B1").Value, Range("B2").Value, Range("B3").Value
'   url = GaGetAvatar("10000000")      ' raises a VBA error (Err.Number = vbObjectError + 512 + status)
'   GaSetLibraryPath "C:\Tools\getavatar"   ' if the DLL is not next to the workbook
'   GaInsertAvatar Range("A2").Value, Range("B2")   ' puts the picture over cell B2
'   GaSetProxy "http://user:password@proxy.corp:3128"   ' or GaUseEnvProxy for HTTPS_PROXY / NO_PROXY
'   GaDisconnect
' Without GaConnect, the first call uses the environment variables GA_API_URL, GA_ID_INSTANCE and
' GA_API_TOKEN_INSTANCE if they are set.
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
Private Declare PtrSafe Function ga_client_set_max_retries Lib "getavatar.dll" (ByVal client As LongPtr, ByVal retries As Long) As Long
Private Declare PtrSafe Function ga_client_set_rate_limit Lib "getavatar.dll" (ByVal client As LongPtr, ByVal perSecond As Long) As Long
Private Declare PtrSafe Function ga_client_set_backoff_ms Lib "getavatar.dll" (ByVal client As LongPtr, ByVal ms As Long) As Long
Private Declare PtrSafe Function ga_client_set_concurrency Lib "getavatar.dll" (ByVal client As LongPtr, ByVal n As Long) As Long
Private Declare PtrSafe Function ga_get_avatars Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatIds As LongPtr, ByVal count As Long, ByVal results As LongPtr) As Long
Private Declare PtrSafe Function ga_client_set_ca_file Lib "getavatar.dll" (ByVal client As LongPtr, ByVal path As LongPtr) As Long
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

Private Declare PtrSafe Function LoadLibraryW Lib "kernel32" (ByVal lpLibFileName As LongPtr) As LongPtr
Private Declare PtrSafe Function lstrlenA Lib "kernel32" (ByVal lpString As LongPtr) As Long
Private Declare PtrSafe Sub RtlMoveMemory Lib "kernel32" (ByVal Destination As LongPtr, ByVal Source As LongPtr, ByVal Length As LongPtr)
Private Declare PtrSafe Function MultiByteToWideChar Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpMultiByteStr As LongPtr, ByVal cbMultiByte As Long, ByVal lpWideCharStr As LongPtr, ByVal cchWideChar As Long) As Long
Private Declare PtrSafe Function WideCharToMultiByte Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpWideCharStr As LongPtr, ByVal cchWideChar As Long, ByVal lpMultiByteStr As LongPtr, ByVal cbMultiByte As Long, ByVal lpDefaultChar As LongPtr, ByVal lpUsedDefaultChar As LongPtr) As Long
#Else
Private Declare Function ga_client_new Lib "getavatar.dll" (ByVal apiUrl As Long, ByVal idInstance As Long, ByVal apiTokenInstance As Long) As Long
Private Declare Sub ga_client_free Lib "getavatar.dll" (ByVal client As Long)
Private Declare Function ga_get_avatar Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long) As Long
Private Declare Sub ga_free Lib "getavatar.dll" (ByVal ptr As Long)
Private Declare Function ga_last_error Lib "getavatar.dll" () As Long
Private Declare Function ga_status_name Lib "getavatar.dll" (ByVal status As Long) As Long
Private Declare Function ga_version Lib "getavatar.dll" () As Long
Private Declare Function ga_client_set_timeout_ms Lib "getavatar.dll" (ByVal client As Long, ByVal ms As Long) As Long
Private Declare Function ga_client_set_max_retries Lib "getavatar.dll" (ByVal client As Long, ByVal retries As Long) As Long
Private Declare Function ga_client_set_rate_limit Lib "getavatar.dll" (ByVal client As Long, ByVal perSecond As Long) As Long
Private Declare Function ga_client_set_backoff_ms Lib "getavatar.dll" (ByVal client As Long, ByVal ms As Long) As Long
Private Declare Function ga_client_set_concurrency Lib "getavatar.dll" (ByVal client As Long, ByVal n As Long) As Long
Private Declare Function ga_get_avatars Lib "getavatar.dll" (ByVal client As Long, ByVal chatIds As Long, ByVal count As Long, ByVal results As Long) As Long
Private Declare Function ga_client_set_ca_file Lib "getavatar.dll" (ByVal client As Long, ByVal path As Long) As Long
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

Private Declare Function LoadLibraryW Lib "kernel32" (ByVal lpLibFileName As Long) As Long
Private Declare Function lstrlenA Lib "kernel32" (ByVal lpString As Long) As Long
Private Declare Sub RtlMoveMemory Lib "kernel32" (ByVal Destination As Long, ByVal Source As Long, ByVal Length As Long)
Private Declare Function MultiByteToWideChar Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpMultiByteStr As Long, ByVal cbMultiByte As Long, ByVal lpWideCharStr As Long, ByVal cchWideChar As Long) As Long
Private Declare Function WideCharToMultiByte Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpWideCharStr As Long, ByVal cchWideChar As Long, ByVal lpMultiByteStr As Long, ByVal cbMultiByte As Long, ByVal lpDefaultChar As Long, ByVal lpUsedDefaultChar As Long) As Long

' Older hosts have no LongPtr: an Enum is a 32-bit Long, which is what pointers are there.
Private Enum LongPtr
    [_]
End Enum
#End If

Private Const CP_UTF8 As Long = 65001
Private Const DEFAULT_CACHE_TTL_S As Long = 600
Private Const GA_OK As Long = 0
Private Const GA_ERR_INVALID_ARGUMENT As Long = 1
Private Const GA_ERR_INTERNAL As Long = 12
Private Const GA_ERR_CANCELLED As Long = 14

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
' Public functions
' ------------------------------------------------------------------------------------------------

' Where getavatar.dll is: a folder or the DLL's full path. Call before the first lookup.
Public Sub GaSetLibraryPath(ByVal folderOrFile As String)
    mLibraryPath = folderOrFile
End Sub

' Connects to an instance; keeps one client for the workbook and re-creates it when the arguments
' change. Returns "connected", or "#GA_ERR_...: message".
Public Function GaConnect(ByVal apiUrl As String, ByVal idInstance As Variant, ByVal apiTokenInstance As String) As String
    On Error GoTo Failed
    Dim key As String, id As String, c As LongPtr
    Dim u() As Byte, i() As Byte, t() As Byte
    id = CellText(idInstance)
    key = apiUrl & vbNullChar & id & vbNullChar & apiTokenInstance
    If mClient <> 0 And key = mKey Then
        GaConnect = "connected"
        Exit Function
    End If
    Dim why As String
    why = EnsureLoaded()
    If Len(why) > 0 Then
        GaConnect = "#GA_ERR_INVALID_ARGUMENT: " & why
        Exit Function
    End If
    u = ToUtf8(apiUrl): i = ToUtf8(id): t = ToUtf8(apiTokenInstance)
    c = ga_client_new(VarPtr(u(0)), VarPtr(i(0)), VarPtr(t(0)))
    If c = 0 Then
        GaConnect = "#GA_ERR_INVALID_ARGUMENT: " & FromUtf8(ga_last_error())
        Exit Function
    End If
    GaDisconnect
    mClient = c
    mKey = key
    ' Excel recalculates often: keep answers for 10 minutes so recalculation spends no rate limit.
    ga_client_set_cache_ttl mClient, DEFAULT_CACHE_TTL_S
    GaConnect = "connected"
    Exit Function
Failed:
    GaConnect = "#GA_ERR_INTERNAL: " & Err.Description
End Function

' Frees the workbook's client.
Public Sub GaDisconnect()
    If mClient <> 0 Then
        ga_client_free mClient
        mClient = 0
        mKey = ""
    End If
End Sub

' The avatar link of a chat: "" when there is none, or "#GA_ERR_NAME: message" on failure.
' Safe in a cell: it never raises.
Public Function GaAvatarUrl(ByVal chatId As Variant) As String
    On Error GoTo Failed
    Dim r As GaResult
    r = Lookup(chatId)
    If r.Status = GA_OK Then
        GaAvatarUrl = r.Url
    Else
        GaAvatarUrl = "#" & StatusName(r.Status) & ": " & r.Message
    End If
    Exit Function
Failed:
    GaAvatarUrl = "#GA_ERR_INTERNAL: " & Err.Description
End Function

' Whether the chat's avatar is visible: TRUE, FALSE (hidden by privacy), "unknown" (the server did
' not say), or "#GA_ERR_NAME: message". Safe in a cell.
Public Function GaAvatarAvailable(ByVal chatId As Variant) As Variant
    On Error GoTo Failed
    Dim r As GaResult
    r = Lookup(chatId)
    If r.Status <> GA_OK Then
        GaAvatarAvailable = "#" & StatusName(r.Status) & ": " & r.Message
    ElseIf r.Available < 0 Then
        GaAvatarAvailable = "unknown"
    Else
        GaAvatarAvailable = (r.Available = 1)
    End If
    Exit Function
Failed:
    GaAvatarAvailable = "#GA_ERR_INTERNAL: " & Err.Description
End Function

' Many links at once (a range or an array in; a column out, usable as a spilled formula):
' looked up in parallel (see GaSetConcurrency) within the client's rate limit. Each cell gets the
' link, "" or "#GA_ERR_NAME: message". Safe in a cell.
Public Function GaAvatarUrls(ByVal chatIds As Variant) As Variant
    On Error GoTo Failed
    Dim vals As Variant, n As Long, i As Long, r As Long, c As Long, k As Long
    If IsObject(chatIds) Then vals = chatIds.Value Else vals = chatIds
    If Not IsArray(vals) Then
        Dim one(1 To 1, 1 To 1) As Variant
        one(1, 1) = vals
        vals = one
    End If
    Dim texts() As String
    If ArrayDims(vals) = 2 Then
        n = (UBound(vals, 1) - LBound(vals, 1) + 1) * (UBound(vals, 2) - LBound(vals, 2) + 1)
        ReDim texts(0 To n - 1)
        For r = LBound(vals, 1) To UBound(vals, 1)
            For c = LBound(vals, 2) To UBound(vals, 2)
                texts(k) = CellText(vals(r, c)): k = k + 1
            Next
        Next
    Else
        n = UBound(vals) - LBound(vals) + 1
        ReDim texts(0 To n - 1)
        For i = LBound(vals) To UBound(vals)
            texts(k) = CellText(vals(i)): k = k + 1
        Next
    End If
    Dim out() As Variant
    ReDim out(1 To n, 1 To 1)
    Dim why As String
    why = EnsureClient()
    If Len(why) > 0 Then
        For i = 1 To n: out(i, 1) = "#GA_ERR_INVALID_ARGUMENT: " & why: Next
        GaAvatarUrls = out
        Exit Function
    End If
    ' All ids as NUL-terminated UTF-8 in one buffer that stays alive while the DLL reads it;
    ' ptrs(i) points at id i inside it.
    Dim parts() As Variant, offs() As Long, buf() As Byte, b() As Byte, total As Long
    Dim ptrs() As LongPtr, res() As LongPtr, st As Long
    ReDim parts(0 To n - 1): ReDim offs(0 To n - 1): ReDim ptrs(0 To n - 1): ReDim res(0 To n - 1)
    For i = 0 To n - 1
        parts(i) = ToUtf8(texts(i))
        offs(i) = total
        total = total + UBound(parts(i)) + 1
    Next
    ReDim buf(0 To total - 1)
    For i = 0 To n - 1
        b = parts(i)
        RtlMoveMemory VarPtr(buf(offs(i))), VarPtr(b(0)), UBound(b) + 1
    Next
    For i = 0 To n - 1
        ptrs(i) = VarPtr(buf(0)) + offs(i)
    Next
    st = ga_get_avatars(mClient, VarPtr(ptrs(0)), n, VarPtr(res(0)))
    For i = 0 To n - 1
        If res(i) = 0 Then
            out(i + 1, 1) = "#" & StatusName(IIf(st = GA_OK, GA_ERR_INTERNAL, st)) & ": " & FromUtf8(ga_last_error())
        Else
            st = PeekLong(res(i) + OFFSET_STATUS)
            If st = GA_OK Then
                out(i + 1, 1) = FromUtf8(PeekPtr(res(i) + OFFSET_URL_AVATAR))
            Else
                out(i + 1, 1) = "#" & StatusName(st) & ": " & FromUtf8(PeekPtr(res(i) + OFFSET_ERROR))
            End If
            ga_free res(i)
        End If
    Next
    GaAvatarUrls = out
    Exit Function
Failed:
    GaAvatarUrls = "#GA_ERR_INTERNAL: " & Err.Description
End Function

' How many lookups GaAvatarUrls runs at once (1 to 64; default 4). Returns "" or the error text.
Public Function GaSetConcurrency(ByVal n As Long) As String
    GaSetConcurrency = Configure("concurrency", n)
End Function

' Trusts the certificates in a PEM file for TLS (e.g. a corporate proxy's root), in place of the
' bundled web roots. Returns "" or the error text. Certificates are always verified.
Public Function GaSetCaFile(ByVal pemPath As String) As String
    GaSetCaFile = Configure("ca_file", pemPath)
End Function

' How long answers are kept (seconds, 0 to 86400; 0 turns the cache off; GaConnect sets 600).
' Returns "" or the error text.
Public Function GaSetCacheTtl(ByVal seconds As Long) As String
    GaSetCacheTtl = Configure("cache_ttl", seconds)
End Function

' Sets the User-Agent the DLL sends (printable ASCII, at most 256 characters). Returns "" or the
' error text.
Public Function GaSetUserAgent(ByVal userAgent As String) As String
    GaSetUserAgent = Configure("user_agent", userAgent)
End Function

' Sends every request through a proxy: "http://user:password@host:port", "socks5://..." or
' "socks5h://..." ("" for none; percent-encode special characters in the password). Returns ""
' or the error text (which never shows the password).
Public Function GaSetProxy(ByVal proxyUrl As String) As String
    GaSetProxy = Configure("proxy", proxyUrl)
End Function

' Uses the proxy in the environment variables HTTPS_PROXY (or ALL_PROXY), except for the hosts in
' NO_PROXY. Returns "" or the error text.
Public Function GaUseEnvProxy() As String
    GaUseEnvProxy = Configure("env_proxy")
End Function

' Saves the chat's avatar picture to a file (written whole or not at all; an existing file is
' replaced). Returns the path, "" when the chat has no avatar (nothing is written), or
' "#GA_ERR_NAME: message". Safe in a cell.
Public Function GaDownloadAvatar(ByVal chatId As Variant, ByVal path As String) As String
    On Error GoTo Failed
    Dim why As String
    why = EnsureClient()
    If Len(why) > 0 Then
        GaDownloadAvatar = "#GA_ERR_INVALID_ARGUMENT: " & why
        Exit Function
    End If
    Dim id() As Byte, f() As Byte, p As LongPtr, st As Long
    id = ToUtf8(CellText(chatId)): f = ToUtf8(path)
    p = ga_download_avatar(mClient, VarPtr(id(0)), VarPtr(f(0)))
    If p = 0 Then
        GaDownloadAvatar = "#GA_ERR_INTERNAL: out of memory"
        Exit Function
    End If
    st = PeekLong(p + OFFSET_STATUS)
    If st <> GA_OK Then
        GaDownloadAvatar = "#" & StatusName(st) & ": " & FromUtf8(PeekPtr(p + OFFSET_ERROR))
    ElseIf Len(FromUtf8(PeekPtr(p + OFFSET_URL_AVATAR))) > 0 Then
        GaDownloadAvatar = path
    End If
    ga_free p
    Exit Function
Failed:
    GaDownloadAvatar = "#GA_ERR_INTERNAL: " & Err.Description
End Function

' For macros: the avatar picture's bytes (a Byte array), or Empty when the chat has none;
' contentType receives e.g. "image/jpeg". Raises a VBA error on failure, like GaGetAvatar.
Public Function GaAvatarBytes(ByVal chatId As Variant, Optional ByRef contentType As String) As Variant
    Dim why As String
    why = EnsureClient()
    If Len(why) > 0 Then Err.Raise vbObjectError + 512 + GA_ERR_INVALID_ARGUMENT, "getavatar", why
    Dim id() As Byte, p As LongPtr, st As Long, n As Long, data As LongPtr, b() As Byte, msg As String
    id = ToUtf8(CellText(chatId))
    p = ga_download_avatar_bytes(mClient, VarPtr(id(0)))
    If p = 0 Then Err.Raise vbObjectError + 512 + GA_ERR_INTERNAL, "getavatar", "out of memory"
    st = PeekLong(p + OFFSET_STATUS)
    If st <> GA_OK Then
        msg = StatusName(st) & ": " & FromUtf8(PeekPtr(p + OFFSET_ERROR))
        ga_free p
        Err.Raise vbObjectError + 512 + st, "getavatar", msg
    End If
    contentType = FromUtf8(PeekPtr(p + OFFSET_CONTENT_TYPE))
    data = PeekPtr(p + OFFSET_DATA)
    n = CLng(PeekPtr(p + OFFSET_SIZE))           ' at most 16 MiB
    If data = 0 Then
        GaAvatarBytes = Empty
    ElseIf n = 0 Then
        GaAvatarBytes = b                          ' an empty array
    Else
        ReDim b(0 To n - 1)
        RtlMoveMemory VarPtr(b(0)), data, n
        GaAvatarBytes = b
    End If
    ga_free p                                      ' the bytes were copied above
End Function

' Macro example: puts the chat's avatar picture over a cell, fitted inside it with its proportions
' kept, named "GaAvatar_<cell>" so that running it again replaces it (and removes it when the chat
' no longer has an avatar). Raises a VBA error on failure.
'   For Each c In Range("A2:A20"): GaInsertAvatar c.Value, c.Offset(0, 1): Next
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

' For macros: the avatar link ("" when none); raises a VBA error on failure with
' Err.Number = vbObjectError + 512 + status, Err.Source = "getavatar", Err.Description = message.
Public Function GaGetAvatar(ByVal chatId As Variant) As String
    Dim r As GaResult
    r = Lookup(chatId)
    If r.Status <> GA_OK Then
        Err.Raise vbObjectError + 512 + r.Status, "getavatar", StatusName(r.Status) & ": " & r.Message
    End If
    GaGetAvatar = r.Url
End Function

' The DLL's version, e.g. "0.1.0".
Public Function GaVersion() As String
    Dim why As String
    why = EnsureLoaded()
    If Len(why) > 0 Then
        GaVersion = "#GA_ERR_INVALID_ARGUMENT: " & why
    Else
        GaVersion = FromUtf8(ga_version())
    End If
End Function

' ------------------------------------------------------------------------------------------------
' Internals
' ------------------------------------------------------------------------------------------------

' Calls one of the DLL's setters on the workbook's client: "" or the error text.
Private Function Configure(ByVal which As String, Optional ByVal value As Variant) As String
    Dim why As String, b() As Byte, st As Long
    why = EnsureClient()
    If Len(why) > 0 Then
        Configure = "#GA_ERR_INVALID_ARGUMENT: " & why
        Exit Function
    End If
    Select Case which
        Case "concurrency": st = ga_client_set_concurrency(mClient, CLng(value))
        Case "cache_ttl": st = ga_client_set_cache_ttl(mClient, CLng(value))
        Case "env_proxy": st = ga_client_use_env_proxy(mClient)
        Case "ca_file", "user_agent", "proxy"
            b = ToUtf8(CStr(value))
            Select Case which
                Case "ca_file": st = ga_client_set_ca_file(mClient, VarPtr(b(0)))
                Case "user_agent": st = ga_client_set_user_agent(mClient, VarPtr(b(0)))
                Case Else: st = ga_client_set_proxy(mClient, VarPtr(b(0)))
            End Select
        Case Else: Err.Raise 5, "getavatar", "no setting " & which
    End Select
    If st <> GA_OK Then Configure = "#" & StatusName(st) & ": " & FromUtf8(ga_last_error())
End Function

Private Function Lookup(ByVal chatId As Variant) As GaResult
    Dim r As GaResult, why As String
    why = EnsureClient()
    If Len(why) > 0 Then
        r.Status = GA_ERR_INVALID_ARGUMENT
        r.Available = -1
        r.Message = why
        Lookup = r
        Exit Function
    End If
    Dim id() As Byte, p As LongPtr
    id = ToUtf8(CellText(chatId))
    p = ga_get_avatar(mClient, VarPtr(id(0)))
    If p = 0 Then
        r.Status = GA_ERR_INTERNAL
        r.Available = -1
        r.Message = "out of memory"
        Lookup = r
        Exit Function
    End If
    r.Status = PeekLong(p + OFFSET_STATUS)
    r.HttpStatus = PeekLong(p + OFFSET_HTTP_STATUS)
    r.Available = PeekLong(p + OFFSET_AVAILABLE)
    r.Url = FromUtf8(PeekPtr(p + OFFSET_URL_AVATAR))
    r.Message = FromUtf8(PeekPtr(p + OFFSET_ERROR))
    ga_free p                                  ' everything was copied above
    Lookup = r
End Function

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

Private Function EnsureClient() As String
    If mClient <> 0 Then Exit Function
    Dim u As String, i As String, t As String, res As String
    u = Environ$("GA_API_URL"): i = Environ$("GA_ID_INSTANCE"): t = Environ$("GA_API_TOKEN_INSTANCE")
    If Len(u) = 0 Or Len(i) = 0 Or Len(t) = 0 Then
        EnsureClient = "not connected: call GaConnect(apiUrl, idInstance, apiTokenInstance) first"
        Exit Function
    End If
    res = GaConnect(u, i, t)
    If res <> "connected" Then EnsureClient = Mid$(res, InStr(res, ": ") + 2)
End Function

' Loads getavatar.dll once, by full path, so the Declares above resolve. "" on success.
Private Function EnsureLoaded() As String
    If mLoaded Then Exit Function
    Dim candidates As Collection, c As Variant, base As String, tried As String
    Set candidates = New Collection
    #If Win64 Then
        Const ARCH As String = "x64"
    #Else
        Const ARCH As String = "x86"
    #End If
    If Len(mLibraryPath) > 0 Then
        If LCase$(Right$(mLibraryPath, 4)) = ".dll" Then
            candidates.Add mLibraryPath
        Else
            candidates.Add mLibraryPath & "\getavatar.dll"
            candidates.Add mLibraryPath & "\" & ARCH & "\getavatar.dll"
        End If
    Else
        base = ThisWorkbook.Path
        candidates.Add base & "\" & ARCH & "\getavatar.dll"
        candidates.Add base & "\getavatar.dll"
    End If
    For Each c In candidates
        If Len(Dir$(c)) > 0 Then
            If LoadLibraryW(StrPtr(c)) <> 0 Then
                mLoaded = True
                Exit Function
            End If
            tried = tried & " " & c & " (could not be loaded: is it the " & ARCH & " build?);"
        Else
            tried = tried & " " & c & " (not found);"
        End If
    Next
    EnsureLoaded = "getavatar.dll not found or not loadable; tried:" & tried & _
                   " put the DLL next to the workbook or call GaSetLibraryPath"
End Function

Private Function StatusName(ByVal status As Long) As String
    StatusName = FromUtf8(ga_status_name(status))
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
