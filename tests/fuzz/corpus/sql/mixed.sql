SELECT * FROM t WHERE a = ?1 AND b = '?2' -- ?3
 AND c = ?10 /* ?4 */ AND "?5" = ?2